//go:build !linux

package bench

import "errors"

// waitExited cannot wait without reaping here: Measure then reports no bytes read.
func waitExited(pid int) error { return errors.New("bench: waitid is Linux only") }
