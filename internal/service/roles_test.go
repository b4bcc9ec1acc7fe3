package service

import "testing"

func TestParseRoles(t *testing.T) {
	tests := []struct {
		in      string
		want    Roles
		wantErr bool
	}{
		{"api", Roles{API: true}, false},
		{"ingest,worker", Roles{Ingest: true, Worker: true}, false},
		{" api , ingest , worker ", AllRoles, false},
		{"all", AllRoles, false},
		{"workers", Roles{Worker: true}, false},
		{"api,api", Roles{API: true}, false},
		{"", Roles{}, true},
		{"api,scheduler", Roles{}, true},
		{"API", Roles{}, true},
	}
	for _, tc := range tests {
		got, err := ParseRoles(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseRoles(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err == nil {
			if again, _ := ParseRoles(got.String()); again != got {
				t.Errorf("ParseRoles(%q).String() = %q reads back as %+v", tc.in, got.String(), again)
			}
		}
	}
}
