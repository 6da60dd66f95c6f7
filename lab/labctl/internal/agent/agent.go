// Package agent is the node agent: the kubelet's role for one lab node.
package agent

import "errors"

// Run runs the node agent until it is signalled. (Being written.)
func Run(args []string) error { return errors.New("not yet implemented") }
