// Command kqljoin measures KQL governance (issue 13) on a synthetic
// DeviceNetworkEvents table of N rows, all from one device, so that a
// self-join on DeviceName is an N x N cross product:
//
//   - count: the query as written, "T | join kind=inner (T) on DeviceName
//     | count", which the evaluator counts without materialising the rows;
//   - budget: the same join with an operator between join and count (a
//     where), which must materialise the rows and stops with the memory
//     budget error;
//   - cancel: a join | summarize that streams the N x N rows into groups
//     (little memory, much time), interrupted by a SIGINT to this process
//     after -after; it reports how long the query took to return after the
//     signal.
//
// Each row prints wall time, the Go heap's peak as the process saw it
// (peak RSS from getrusage), and the result or the error.
//
// Usage: go run ./bench/kqljoin [-n 10000] [-budget 512] [-after 2s] [-no-gc-limit]
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/debug"
	"time"

	"github.com/loghunt/loghunt/hunt/kql"
	"github.com/loghunt/loghunt/hunt/kql/schema"
	"github.com/loghunt/loghunt/hunt/kql/value"
)

func main() {
	n := flag.Int("n", 10000, "rows of the table")
	budget := flag.Int64("budget", 512, "memory budget of the query in MiB")
	after := flag.Duration("after", 2*time.Second, "send SIGINT this long after the cancel query starts")
	noLimit := flag.Bool("no-gc-limit", false, "leave the GC's soft memory limit unset")
	flag.Parse()

	// as loghunt does with --max-memory: the GC's soft limit a little
	// above the budget, so that garbage does not double the heap
	if !*noLimit {
		debug.SetMemoryLimit((*budget + 64) << 20)
	}
	cat := kql.NewMapCatalog(table(*n))
	fmt.Printf("baseline peak RSS: %s\n", rss())

	run := func(name, src string, ctx context.Context) {
		q, err := kql.Parse(src)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		mem := kql.NewMemoryLimit(*budget << 20)
		start := time.Now()
		t, _, err := q.Run(ctx, cat, kql.Options{Memory: mem})
		wall := time.Since(start)
		res := ""
		switch {
		case err != nil:
			res = "error: " + err.Error()
		case len(t.Rows) == 1 && len(t.Rows[0]) == 1:
			res = fmt.Sprintf("result: %v", t.Rows[0][0])
		default:
			res = fmt.Sprintf("result: %d rows", len(t.Rows))
		}
		fmt.Printf("%-7s wall %7.3fs  budget peak %4d MiB  process peak RSS %s\n        %s\n", name, wall.Seconds(), mem.Peak()>>20, rss(), res)
	}
	join := "DeviceNetworkEvents\n| join kind=inner (DeviceNetworkEvents) on DeviceName\n"
	run("count", join+"| count", context.Background())
	run("budget", join+"| where RemotePort1 >= 0\n| count", context.Background())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	var sent time.Time
	go func() {
		time.Sleep(*after)
		sent = time.Now()
		interrupt()
	}()
	q, _ := kql.Parse(join + "| summarize count() by RemoteIP, RemoteIP1")
	start := time.Now()
	_, _, err := q.Run(ctx, cat, kql.Options{Memory: kql.NewMemoryLimit(*budget << 20)})
	end := time.Now()
	if errors.Is(err, context.Canceled) && !sent.IsZero() {
		fmt.Printf("cancel  ran %.3fs; returned %.1f ms after SIGINT: %v\n", end.Sub(start).Seconds(), float64(end.Sub(sent).Microseconds())/1000, err)
	} else {
		fmt.Printf("cancel  finished in %.3fs before the signal (err %v): raise -n\n", end.Sub(start).Seconds(), err)
	}
}

// table makes n rows of DeviceNetworkEvents' columns, every one from the
// same device, with 50 remote addresses.
func table(n int) *value.Table {
	info, _ := schema.Default().Lookup("DeviceNetworkEvents")
	t := &value.Table{Name: "DeviceNetworkEvents", Columns: info.ValueColumns()}
	t0 := time.Date(2024, 5, 1, 0, 0, 0, 0, time.UTC)
	for i := 0; i < n; i++ {
		row := make([]any, len(t.Columns))
		for j, c := range t.Columns {
			switch c.Name {
			case "DeviceName":
				row[j] = "ws-01.corp.example.com"
			case "RemoteIP":
				row[j] = fmt.Sprintf("10.0.0.%d", i%50)
			case "RemotePort", "LocalPort":
				row[j] = int64(1024 + i%60000)
			default:
				switch c.Type {
				case value.String:
					row[j] = fmt.Sprintf("%s-%d", c.Name, i%1000)
				case value.DateTime:
					row[j] = t0.Add(time.Duration(i) * time.Second)
				case value.Long, value.Int:
					row[j] = int64(i)
				}
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}
