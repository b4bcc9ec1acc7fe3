package pgx
import ("encoding/json";"testing")
func TestScratch(t *testing.T) {
	d := loadDef(t)
	for _, f := range []string{"DPYD_s1s2b.vcf","DPYD_c2846het.vcf","DPYD_c557c703.vcf"} {
		v := readVCF(t, pgxData(t, "pharmcat", "tests", f))
		r := d.Call(v.sites[0], Options{})
		b, _ := json.MarshalIndent(r, "", " ")
		t.Log(string(b))
	}
	v := readVCF(t, pgxData(t, "cases", "vcf", "hapb3_row_014_unphased.vcf"))
	b, _ := json.MarshalIndent(d.Call(v.sites[0], Options{}), "", " ")
	t.Log(string(b))
	r := d.Call(nil, Options{})
	b, _ = json.MarshalIndent(r, "", " ")
	t.Log(string(b)[:1500])
}
