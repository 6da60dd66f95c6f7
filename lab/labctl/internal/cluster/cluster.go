// Package cluster starts, stops and reports on the whole lab cluster.
package cluster

import "errors"

// Up starts the cluster. (Being written.)
func Up(args []string) error { return errors.New("not yet implemented") }

// Down stops the cluster and removes what Up created.
func Down(args []string) error { return errors.New("not yet implemented") }

// Status reports each component's health.
func Status(args []string) error { return errors.New("not yet implemented") }
