package service

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/precis-dx/precis/internal/auth"
)

// The tests here are the hostile-client probes of issue 12, each against the real service:
// an embedded NATS server, the local object store and the real HTTP server.

// tinyVCF is a valid one-sample VCF, enough for uploads and submissions that need not run.
const tinyVCF = "##fileformat=VCFv4.2\n##contig=<ID=chr1,length=248956422>\n" +
	"#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tS1\n" +
	"chr1\t97450058\t.\tC\tT\t50\tPASS\t.\tGT\t0/1\n"

// manifestJSON is a valid manifest of one sample S1 whose VCF is s1.vcf.
func manifestJSON(lab, run string) []byte {
	b, _ := json.Marshal(map[string]any{
		"schema_version": "1.0.0", "run_id": run, "lab": lab, "genome_build": "GRCh38", "ordering_unit": "Onkologi",
		"samples": []map[string]any{{"sample_id": "S1", "vcf": "runs/" + lab + "/" + run + "/s1.vcf",
			"specimen": "germline", "panels": []string{"dpyd"}}},
	})
	return b
}

// apiError decodes an API error body.
func apiError(t testing.TB, b []byte) (code, msg string) {
	t.Helper()
	var e struct {
		Error struct{ Code, Message string }
	}
	if err := json.Unmarshal(b, &e); err != nil {
		t.Fatalf("error body %q: %v", b, err)
	}
	return e.Error.Code, e.Error.Message
}

// deepManifest nests levels arrays inside the samples field of a manifest.
func deepManifest(lab string, levels int) []byte {
	return []byte(fmt.Sprintf(`{"schema_version":"1.0.0","lab":%q,"samples":%s%s}`, lab,
		strings.Repeat("[", levels), strings.Repeat("]", levels)))
}

// TestDeepManifest: a manifest nested 100,000 levels deep is refused with its reason, and a
// token that cannot submit is refused before its body is read.
func TestDeepManifest(t *testing.T) {
	s := start(t, Config{})
	lab := token(t, s, auth.RoleLab, "lab-a")
	clin := token(t, s, auth.RoleClinician, "lab-a")
	admin := token(t, s, auth.RoleAdmin)
	deep := deepManifest("lab-a", 100_000)

	resp, b := send(t, s, http.MethodPost, "/api/v1/runs", lab, deep)
	if code, msg := apiError(t, b); resp.StatusCode != 400 || code != "invalid_manifest" || !strings.Contains(msg, "nested too deeply") {
		t.Errorf("lab token: %s %s, want 400 invalid_manifest: nested too deeply", resp.Status, b)
	}
	for name, tok := range map[string]string{"clinician": clin, "admin": admin} {
		resp, b := send(t, s, http.MethodPost, "/api/v1/runs", tok, deep)
		if code, _ := apiError(t, b); resp.StatusCode != 403 || code != "forbidden" {
			t.Errorf("%s token: %s %s, want 403 forbidden", name, resp.Status, b)
		}
		if !resp.Close {
			t.Errorf("%s token: refused without Connection: close (the body would be drained)", name)
		}
	}
	// The service still takes a good run.
	resp, b = send(t, s, http.MethodPut, "/api/v1/runs/lab-a/run-1/files/s1.vcf", lab, []byte(tinyVCF))
	if resp.StatusCode != 201 {
		t.Fatalf("upload: %s %s", resp.Status, b)
	}
	if resp, b := send(t, s, http.MethodPost, "/api/v1/runs", lab, manifestJSON("lab-a", "run-1")); resp.StatusCode != 202 {
		t.Fatalf("submit: %s %s", resp.Status, bytes.TrimSpace(b))
	}
}
