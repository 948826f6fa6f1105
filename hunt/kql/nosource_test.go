package kql_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/loghunt/loghunt/hunt/kql"
	"github.com/loghunt/loghunt/hunt/kql/schema"
)

// TestNoSourceTables: a table no Windows event fills is known, with its
// documented columns and no rows. A query over it runs, finds nothing and
// is told why; Check still reports the columns the table lacks.
func TestNoSourceTables(t *testing.T) {
	cat := schema.Adapt[kql.Arg](schema.NewBuilder(schema.Options{Tables: []string{"EmailEvents", "DeviceProcessEvents"}}).Finish())
	note := "table EmailEvents has no source in Windows event logs; it is empty in an offline hunt, so this query cannot find anything there"

	q, err := kql.Parse(`EmailEvents
| where SenderFromAddress =~ "MaliciousSender@example.com"
| project Timestamp, Subject, RecipientEmailAddress`)
	if err != nil {
		t.Fatal(err)
	}
	res, warns, err := q.Run(context.Background(), cat, kql.Options{Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if len(res.Rows) != 0 || len(res.Columns) != 3 || res.Columns[1].Name != "Subject" {
		t.Errorf("result: %d rows, columns %v; want none, Timestamp Subject RecipientEmailAddress", len(res.Rows), res.Columns)
	}
	if len(warns) != 1 || warns[0].Msg != note || warns[0].Line != 1 || warns[0].Col != 1 {
		t.Errorf("warnings %v, want one at 1:1: %s", warns, note)
	}

	// Read twice (in a let and in a join): still one note. A derived
	// table alongside gets none.
	q, err = kql.Parse(`let x = EmailEvents | project AccountName = tostring(split(RecipientEmailAddress, "@")[0]);
x | join (DeviceProcessEvents | project AccountName) on AccountName
| union (EmailEvents | project AccountName = SenderDisplayName)`)
	if err != nil {
		t.Fatal(err)
	}
	_, warns, err = q.Run(context.Background(), cat, kql.Options{Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	n := 0
	for _, w := range warns {
		if w.Msg == note {
			n++
		} else if strings.Contains(w.Msg, "no source") {
			t.Errorf("unexpected warning %v", w)
		}
	}
	if n != 1 {
		t.Errorf("%d notes, want 1: %v", n, warns)
	}

	// The unknown-column check works on such a table: SenderAddress is
	// not a column of EmailEvents (SenderFromAddress is).
	q, err = kql.Parse(`EmailEvents | where SenderAddress == "a@b.c" and Subject has "invoice"`)
	if err != nil {
		t.Fatal(err)
	}
	var unknown, other []string
	for _, w := range kql.Check(q, cat) {
		switch {
		case strings.Contains(w.Msg, "unknown column"):
			unknown = append(unknown, w.Msg)
		case w.Msg != note:
			other = append(other, w.Msg)
		}
	}
	if len(unknown) != 1 || !strings.Contains(unknown[0], "SenderAddress") {
		t.Errorf("unknown-column warnings %v, want one for SenderAddress", unknown)
	}
	if len(other) != 0 {
		t.Errorf("other warnings %v", other)
	}
}
