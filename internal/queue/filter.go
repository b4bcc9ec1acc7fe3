package queue

import (
	"strings"

	"github.com/nats-io/nats.go/jetstream"
)

// Filter returns one filter subject that covers every subject of subjects (NATS wildcards
// allowed), and keep, which tells whether a delivered message's subject is one of them.
//
// A consumer with several filter subjects (ConsumerConfig.FilterSubjects) needs NATS 2.10;
// Debian's nats-server, which labs run as a cluster, is 2.9. So every consumer Precis
// creates has one filter subject: where the wanted subjects are several (a user's labs, two
// kinds of alert), the consumer reads their smallest common wildcard and the reader drops the
// rest with keep. keep is nil when the filter is exact (one subject).
func Filter(subjects []string) (filter string, keep func(subject string) bool) {
	if len(subjects) == 1 {
		return subjects[0], nil
	}
	if len(subjects) == 0 {
		return "", func(string) bool { return false }
	}
	merged := strings.Split(subjects[0], ".")
	for _, s := range subjects[1:] {
		toks := strings.Split(s, ".")
		n := min(len(merged), len(toks))
		out := make([]string, 0, n+1)
		full := len(merged) == len(toks)
		for i := 0; i < n; i++ {
			switch {
			case merged[i] == ">" || toks[i] == ">":
				out, full = append(out, ">"), false
			case merged[i] == toks[i]:
				out = append(out, merged[i])
				continue
			default:
				out = append(out, "*")
				continue
			}
			break
		}
		if !full && out[len(out)-1] != ">" {
			// Different lengths: '>' must also cover the shorter subject's last token.
			out = append(out[:n-1], ">")
		}
		merged = out
	}
	patterns := append([]string(nil), subjects...)
	return strings.Join(merged, "."), func(subject string) bool {
		for _, p := range patterns {
			if Matches(p, subject) {
				return true
			}
		}
		return false
	}
}

// Matches reports whether subject matches the NATS subject pattern (tokens separated by
// '.', '*' one token, '>' one or more final tokens).
func Matches(pattern, subject string) bool {
	pt, st := strings.Split(pattern, "."), strings.Split(subject, ".")
	for i, p := range pt {
		if p == ">" {
			return len(st) > i
		}
		if i >= len(st) || p != "*" && p != st[i] {
			return false
		}
	}
	return len(pt) == len(st)
}

// filterFrom sets cfg's filter to cover subjects and returns the keep function of Filter.
func filterFrom(cfg *jetstream.OrderedConsumerConfig, subjects []string) func(string) bool {
	f, keep := Filter(subjects)
	cfg.FilterSubjects = []string{f}
	return keep
}

// OrderedFilter is Filter for an ordered consumer's configuration: cfg reads one filter
// subject covering subjects; the returned keep (never nil) says which messages to take.
func OrderedFilter(cfg *jetstream.OrderedConsumerConfig, subjects []string) func(string) bool {
	keep := filterFrom(cfg, subjects)
	if keep == nil {
		return func(string) bool { return true }
	}
	return keep
}
