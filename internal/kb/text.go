package kb

import (
	"fmt"
	"strings"
)

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

// eachRow calls fn with the tab-separated fields of every line EachLine yields from the
// knowledge base's table named table; a line without exactly fields fields is an ErrFormat
// error naming the table and the line.
func eachRow(data, table string, fields int, fn func(n int, f []string) error) error {
	return EachLine(data, func(n int, l string) error {
		f := strings.Split(l, "\t")
		if len(f) != fields {
			return fmt.Errorf("%w: %s line %d: %d fields, want %d", ErrFormat, table, n, len(f), fields)
		}
		return fn(n, f)
	})
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
