// Package podinit enters a pod's namespaces and execs the container's program.
package podinit

import "errors"

// Run does not return on success. (Being written.)
func Run(args []string) error { return errors.New("not yet implemented") }
