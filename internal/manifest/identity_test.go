package manifest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// skatteverketTestNumbers are personnummer that Skatteverket publishes for testing
// ("testpersonnummer", open data), in the twelve-digit form: 19121212-1212 is the best known,
// the rest span the centuries 18, 19 and 20. 701063-2391 is a samordningsnummer (day 03+60)
// of the same kind.
var skatteverketTestNumbers = []string{
	"191212121212", "189506299818", "189002099811", "189103179801", "190006129803", "190704019801",
	"190108219817", "200306062381", "200802122390", "200607092384", "202508242381", "202510022383",
	"202503312387", "202509012387", "202512232386", "202504182391", "197010632391",
}

// forms writes a twelve-digit number in every form LooksLikePersonnummer knows.
func forms(n string) []string {
	return []string{
		n,                                // YYYYMMDDNNNC
		n[:8] + "-" + n[8:],              // YYYYMMDD-NNNC
		n[2:],                            // YYMMDDNNNC
		n[2:8] + "-" + n[8:],             // YYMMDD-NNNC
		n[2:8] + "+" + n[8:],             // YYMMDD+NNNC (100 years or older)
		n[2:8] + " " + n[8:],             // with a space
		"patient-" + n[:8] + "-" + n[8:], // inside a longer string
		"S_" + n[2:8] + "_" + n[8:] + ".vcf.gz",
	}
}

func TestLooksLikePersonnummerPublished(t *testing.T) {
	for _, n := range skatteverketTestNumbers {
		for _, s := range forms(n) {
			if !LooksLikePersonnummer(s) {
				t.Errorf("LooksLikePersonnummer(%q) = false, want true", s)
			}
		}
	}
	for _, s := range []string{"19121212-1212", "121212-1212", "701063-2391", "patient-19121212-1212", "x1212121212y"} {
		if !LooksLikePersonnummer(s) {
			t.Errorf("LooksLikePersonnummer(%q) = false, want true", s)
		}
	}
}

// TestLooksLikePersonnummerWrongCheckDigit changes the check digit of each published number
// to each of the nine wrong values: none may be flagged, in any form.
func TestLooksLikePersonnummerWrongCheckDigit(t *testing.T) {
	n := 0
	for _, good := range skatteverketTestNumbers {
		for d := byte('0'); d <= '9'; d++ {
			if d == good[11] {
				continue
			}
			bad := good[:11] + string(d)
			for _, s := range forms(bad) {
				n++
				if LooksLikePersonnummer(s) {
					t.Errorf("LooksLikePersonnummer(%q) = true with a wrong check digit", s)
				}
			}
		}
	}
	t.Logf("%d strings with a wrong check digit, none flagged", n)
}

// luhnDigit computes a check digit the textbook way (from the right, doubling every second
// digit), independently of luhn in identity.go.
func luhnDigit(nine string) string {
	sum := 0
	for i := len(nine) - 1; i >= 0; i-- {
		d := int(nine[i] - '0')
		if (len(nine)-1-i)%2 == 0 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return fmt.Sprint((10 - sum%10) % 10)
}

func TestLooksLikePersonnummerDates(t *testing.T) {
	tests := []struct {
		date string // YYYYMMDD; the number is date + "238" + check digit
		want bool
	}{
		{"19121212", true},
		{"20000229", true},  // 2000 is a leap year
		{"19000229", false}, // 1900 is not
		{"20240229", true},
		{"20230229", false},
		{"19850431", false}, // April has 30 days
		{"19851301", false}, // month 13
		{"19850001", false}, // month 0
		{"19850100", false}, // day 0
		{"19850132", false}, // day 32
		{"19850161", true},  // samordningsnummer, day 1
		{"19850191", true},  // samordningsnummer, day 31
		{"19850192", false}, // day 32+60
		{"19850160", false}, // day 0+60
		{"19850290", false}, // samordningsnummer, February 30
		{"17991212", false}, // century 17
		{"21001212", false}, // century 21
	}
	for _, tt := range tests {
		twelve := tt.date + "238" + luhnDigit(tt.date[2:]+"238")
		if got := LooksLikePersonnummer(twelve); got != tt.want {
			t.Errorf("LooksLikePersonnummer(%q) = %v, want %v", twelve, got, tt.want)
		}
	}
	// Without the century, 29 February stands when any of 18yy, 19yy, 20yy is a leap year.
	for _, tt := range []struct {
		yymmdd string
		want   bool
	}{{"000229", true}, {"040229", true}, {"010229", false}, {"990229", false}, {"000230", false}} {
		ten := tt.yymmdd + "238" + luhnDigit(tt.yymmdd+"238")
		if got := LooksLikePersonnummer(ten); got != tt.want {
			t.Errorf("LooksLikePersonnummer(%q) = %v, want %v", ten, got, tt.want)
		}
	}
}

func TestLooksLikePersonnummerOrdinaryValues(t *testing.T) {
	for _, s := range []string{
		"S001", "DEMO-0001", "DEMO-0002", "run-2026-11-23", "NS2026-0417", "lund-molpat", "GRCh38",
		"20261123", "2026-11-23T09:30:00Z", "NM_000110.4", "c.1905+1G>A", "chr1:97450058", "rs3918290",
		"runs/lund-molpat/run-2026-11-23/S001.vcf.gz", "capecitabine", "5-fluorouracil",
		"12121212121",    // 11 digits
		"1191212121212",  // 13 digits
		"121212-12121",   // 6+5
		"1212121-1212",   // 7+4
		"12121-21212",    // 5+5
		"121212--1212",   // two separators
		"121212.1212",    // not a separator
		"19121212-12120", // 8+5
		"", "-", "1",
	} {
		if LooksLikePersonnummer(s) {
			t.Errorf("LooksLikePersonnummer(%q) = true, want false", s)
		}
	}
}

// isIdentityRef is a second, plain reading of SKV 704/707 for random tests: time.Date
// normalises impossible dates, so a date is real when it survives the round trip.
func isIdentityRef(d string) bool {
	years := []int{1800, 1900, 2000}
	if len(d) == 12 {
		years = []int{num(d[:2]) * 100}
		if c := num(d[:2]); c < 18 || c > 20 {
			return false
		}
		d = d[2:]
	}
	yy, mm, dd := num(d[:2]), num(d[2:4]), num(d[4:6])
	if dd > 60 {
		dd -= 60
	}
	exists := false
	for _, c := range years {
		tm := time.Date(c+yy, time.Month(mm), dd, 0, 0, 0, 0, time.UTC)
		exists = exists || (tm.Year() == c+yy && int(tm.Month()) == mm && tm.Day() == dd)
	}
	return exists && luhnDigit(d[:9]) == d[9:]
}

// TestLooksLikePersonnummerRandom draws random digit strings of 10 and 12 digits: those
// that fail the date or the check digit must not be flagged, and those that pass must.
func TestLooksLikePersonnummerRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, length := range []int{10, 12} {
		flagged, want := 0, 0
		const n = 200000
		for range n {
			var b strings.Builder
			if length == 12 {
				b.WriteString([]string{"18", "19", "20"}[rng.IntN(3)])
			}
			for b.Len() < length {
				b.WriteByte(byte('0' + rng.IntN(10)))
			}
			s := b.String()
			got, ref := LooksLikePersonnummer(s), isIdentityRef(s)
			if got != ref {
				t.Fatalf("LooksLikePersonnummer(%q) = %v, reference says %v", s, got, ref)
			}
			if got {
				flagged++
			}
			if ref {
				want++
			}
		}
		t.Logf("%d random %d-digit strings: %d flagged (%.2f%%), reference %d", n, length, flagged, 100*float64(flagged)/n, want)
	}
}

func TestMaskPersonnummer(t *testing.T) {
	tests := []struct{ in, want string }{
		{"19121212-1212", "********-****"},
		{"patient-19121212-1212 and 701063-2391", "patient-********-**** and ******-****"},
		{"S001", "S001"},
		{"191212121213", "191212121213"},
	}
	for _, tt := range tests {
		if got := maskPersonnummer(tt.in); got != tt.want {
			t.Errorf("maskPersonnummer(%q): got %q, want %q", tt.in, got, tt.want)
		}
	}
}
