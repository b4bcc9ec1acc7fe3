package pipeline

import (
	"fmt"
	"testing"
)

func TestRollup(t *testing.T) {
	s := func(statuses ...string) map[string]SampleState {
		m := map[string]SampleState{}
		for i, st := range statuses {
			m[fmt.Sprint(i)] = SampleState{Status: st}
		}
		return m
	}
	for _, tc := range []struct {
		name string
		run  RunState
		want string
	}{
		{"no samples", RunState{Status: StatusSubmitted}, StatusSubmitted},
		{"all submitted", RunState{Status: StatusSubmitted, Samples: s("submitted", "submitted")}, StatusSubmitted},
		{"one processing", RunState{Status: StatusSubmitted, Samples: s("processing", "submitted")}, StatusProcessing},
		{"one done", RunState{Status: StatusSubmitted, Samples: s("done", "submitted")}, StatusProcessing},
		{"all done", RunState{Status: StatusProcessing, Samples: s("done", "done")}, StatusDone},
		{"all final, one failed", RunState{Status: StatusProcessing, Samples: s("done", "failed")}, StatusFailed},
		{"failed but another still running", RunState{Status: StatusProcessing, Samples: s("failed", "processing")}, StatusProcessing},
		{"done run reprocessed", RunState{Status: StatusDone, Samples: s("done", "processing")}, StatusProcessing},
		{"rejected stays rejected", RunState{Status: StatusRejected, Samples: s("done")}, StatusRejected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Rollup(tc.run); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
