package kb

import "strings"

// EachLine calls fn for every line of data that is neither empty nor a '#' comment, with
// its 1-based line number, and stops at the first error fn returns. A trailing '\r' is
// removed. The lines are substrings of data. It is the line rule of the knowledge base's
// tables and of the tab-separated sources build.Build reads.
func EachLine(data string, fn func(n int, line string) error) error {
	n := 0
	for l := range strings.Lines(data) {
		n++
		l = strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r")
		if len(l) == 0 || l[0] == '#' {
			continue
		}
		if err := fn(n, l); err != nil {
			return err
		}
	}
	return nil
}

// dot writes an empty field as ".".
func dot(s string) string {
	if s == "" {
		return "."
	}
	return s
}

// undot reads "." as an empty field.
func undot(s string) string {
	if s == "." {
		return ""
	}
	return s
}
