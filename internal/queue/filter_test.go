package queue

import "testing"

func TestFilter(t *testing.T) {
	tests := []struct {
		subjects   []string
		filter     string
		keep, drop []string
	}{
		{[]string{"precis.alert.pgx.lab1"}, "precis.alert.pgx.lab1", nil, nil},
		{[]string{"precis.alert.pgx.lab1", "precis.alert.pgx.lab2"}, "precis.alert.pgx.*",
			[]string{"precis.alert.pgx.lab1", "precis.alert.pgx.lab2"}, []string{"precis.alert.pgx.lab3", "precis.alert.reclassified.lab1"}},
		{[]string{"precis.alert.pgx.>", "precis.alert.reclassified.>"}, "precis.alert.*.>",
			[]string{"precis.alert.pgx.lab9", "precis.alert.reclassified.x"}, []string{"precis.alert.other.lab1", "precis.report.ready.lab1"}},
		{[]string{"precis.alert.pgx.a", "precis.alert.reclassified.a", "precis.alert.pgx.b", "precis.alert.reclassified.b"}, "precis.alert.*.*",
			[]string{"precis.alert.pgx.a", "precis.alert.reclassified.b"}, []string{"precis.alert.pgx.c", "precis.alert.reclassified.c"}},
		{[]string{"a.b.c", "a.b"}, "a.>", []string{"a.b.c", "a.b"}, []string{"a.b.d", "a.c"}},
	}
	for _, tt := range tests {
		f, keep := Filter(tt.subjects)
		if f != tt.filter {
			t.Errorf("Filter(%q) = %q, want %q", tt.subjects, f, tt.filter)
		}
		for _, s := range append(append([]string(nil), tt.keep...), tt.drop...) {
			if !Matches(f, s) && contains(tt.keep, s) {
				t.Errorf("filter %q does not cover %q", f, s)
			}
		}
		if len(tt.subjects) == 1 {
			if keep != nil {
				t.Errorf("Filter(%q): keep should be nil for an exact filter", tt.subjects)
			}
			continue
		}
		for _, s := range tt.keep {
			if !keep(s) {
				t.Errorf("Filter(%q): keep(%q) = false", tt.subjects, s)
			}
		}
		for _, s := range tt.drop {
			if keep(s) {
				t.Errorf("Filter(%q): keep(%q) = true", tt.subjects, s)
			}
		}
	}
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func TestMatches(t *testing.T) {
	for _, tt := range []struct {
		p, s string
		want bool
	}{
		{"a.*.c", "a.b.c", true}, {"a.*.c", "a.b.d", false}, {"a.>", "a", false}, {"a.>", "a.b.c", true},
		{"a.b", "a.b.c", false}, {"*", "a", true}, {"a.*", "a", false},
	} {
		if got := Matches(tt.p, tt.s); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.p, tt.s, got, tt.want)
		}
	}
}
