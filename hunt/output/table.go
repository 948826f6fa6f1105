package output

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/loghunt/loghunt/hunt/kql/value"
)

// FormatCellFunc renders one cell of a result table as text.
type FormatCellFunc func(any) string

// WriteResult writes a KQL result table: aligned columns (Table), a CSV file
// with a header row, or one JSON object per row. Cells are rendered by cell.
// CSV cells are neutralised as for hits unless opts.CSVRaw (see Options);
// the other options are for hits only.
func WriteResult(w io.Writer, f Format, t *value.Table, cell FormatCellFunc, opts Options) error {
	switch f {
	case CSV:
		cw := csv.NewWriter(w)
		safe := func(s string) string { return s }
		if !opts.CSVRaw {
			safe = CSVCell
		}
		head := make([]string, len(t.Columns))
		for i, c := range t.Columns {
			head[i] = safe(c.Name)
		}
		if err := cw.Write(head); err != nil {
			return err
		}
		rec := make([]string, len(t.Columns))
		for _, row := range t.Rows {
			for i := range rec {
				rec[i] = safe(cellAt(row, i, cell))
			}
			if err := cw.Write(rec); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	case JSONL:
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		for _, row := range t.Rows {
			obj := make(map[string]any, len(t.Columns))
			for i, c := range t.Columns {
				if i < len(row) {
					obj[c.Name] = jsonCell(row[i], cell)
				}
			}
			if err := enc.Encode(obj); err != nil {
				return err
			}
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := make([]string, len(t.Columns))
	for i, c := range t.Columns {
		head[i] = c.Name
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, row := range t.Rows {
		parts := make([]string, len(t.Columns))
		for i := range parts {
			parts[i] = clip(cellAt(row, i, cell), 80)
		}
		fmt.Fprintln(tw, strings.Join(parts, "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "(%d rows)\n", len(t.Rows))
	return err
}

func cellAt(row []any, i int, cell FormatCellFunc) string {
	if i >= len(row) {
		return ""
	}
	return cell(row[i])
}

// jsonCell keeps numbers, bools and dynamic values typed in JSON output.
func jsonCell(v any, cell FormatCellFunc) any {
	switch v.(type) {
	case nil, int64, float64, bool, []any, map[string]any:
		return v
	}
	return cell(v)
}
