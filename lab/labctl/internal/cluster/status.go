package cluster

import (
	"context"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"
)

// Status prints one line per component (process alive, health endpoint) and fails if any is
// unhealthy.
func Status(args []string) error {
	c, err := parseFlags("status", args)
	if err != nil {
		return err
	}
	if _, err := os.Stat(c.path("pids")); err != nil {
		return fmt.Errorf("lab cluster is not up (no state in %s); start it with ./mesh lab up", c.State)
	}
	if failures := c.report(context.Background(), os.Stdout); failures > 0 {
		return fmt.Errorf("%d component(s) unhealthy; logs are in %s", failures, c.path("logs"))
	}
	return nil
}

// report checks every component, writes a table to out if it is not nil, and returns how many
// are unhealthy.
func (c *config) report(ctx context.Context, out io.Writer) int {
	type line struct {
		name  string
		probe check
	}
	lines := []line{
		{nameEtcd, c.etcdHealth()},
	}
	admin, adminErr := c.adminHTTP()
	apiCheck := func(ctx context.Context) error { return adminErr }
	if adminErr == nil {
		apiCheck = c.apiServerReady(admin)
	}
	lines = append(lines,
		line{nameAPIServer, apiCheck},
		line{nameControllerManager, controllerManagerHealth()},
		line{nameScheduler, schedulerHealth()},
		line{nameCoreDNS, coreDNSReady()},
	)
	cs, csErr := c.clientset()
	for _, n := range c.savedNodes() {
		ready := func(ctx context.Context) error { return csErr }
		if csErr == nil && adminErr == nil {
			ready = c.nodeReady(cs, n)
		}
		lines = append(lines, line{agentName(n), ready}, line{kubeProxyName(n), kubeProxyHealth(n)})
	}

	var tw *tabwriter.Writer
	if out != nil {
		tw = tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "COMPONENT\tPID\tHEALTH")
	}
	failures := 0
	for _, l := range lines {
		pid, alive := c.alive(l.name)
		health := "ok"
		if !alive {
			health = "not running"
			if pid == 0 {
				health = "not running (no pid file)"
			}
		} else {
			pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if err := l.probe(pctx); err != nil {
				health = "unhealthy: " + err.Error()
			}
			cancel()
		}
		if health != "ok" {
			failures++
		}
		if tw != nil {
			pidText := "-"
			if alive {
				pidText = fmt.Sprint(pid)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", l.name, pidText, health)
		}
	}
	if tw != nil {
		tw.Flush()
	}
	return failures
}
