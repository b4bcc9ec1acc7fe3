// Command precis annotates VCFs against clinical gene panels (DPYD, BRCA, Lynch, POLE) and
// writes structured reports. See README.md and DESIGN.md for the contracts.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
