// labctl runs the lab cluster: a real Kubernetes control plane on one machine, with nodes as
// network namespaces and pods as processes in network namespaces of their own.
//
//	labctl up|down|status   the whole cluster (control plane, nodes, DNS); see lab/README.md
//	labctl node ...         one node agent (the kubelet's role), run inside its node's netns
//	labctl pod-init ...     internal: enters a pod's namespaces, then execs the container's program
package main

import (
	"fmt"
	"os"

	"dev.ambient/lab/labctl/internal/agent"
	"dev.ambient/lab/labctl/internal/cluster"
	"dev.ambient/lab/labctl/internal/podinit"
)

func main() {
	if len(os.Args) < 2 {
		usage()
		os.Exit(2)
	}
	cmd, args := os.Args[1], os.Args[2:]
	var err error
	switch cmd {
	case "up":
		err = cluster.Up(args)
	case "down":
		err = cluster.Down(args)
	case "status":
		err = cluster.Status(args)
	case "node":
		err = agent.Run(args)
	case "pod-init":
		err = podinit.Run(args) // only returns on failure: success replaces the process
	case "help", "-h", "--help":
		usage()
		return
	default:
		fmt.Fprintf(os.Stderr, "labctl: unknown command %q\n", cmd)
		usage()
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "labctl %s: %v\n", cmd, err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage: labctl <command> [flags]
  up        start the lab cluster (control plane, node agents, kube-proxy, CoreDNS)
  down      stop it and remove everything it created
  status    show the health of each component
  node      run one node agent (started by 'up' inside the node's network namespace)`)
}
