package output

import "github.com/loghunt/loghunt/parsers/winevent"

// KeepField says which event fields the hits written in format f need, so
// that the engine and the sorter keep only those of each hit
// (hunt.Options.KeepField, spill.Options.KeepField): the table and CSV
// write the core fields, the matched values (which a hit keeps anyway),
// the key fields (Details) and the process key (winevent.ProcessKeyFields);
// JSON Lines writes every field. Nil, for JSON Lines and for any format
// not listed here, keeps every field: a format that needs only some
// fields says so here.
func KeepField(f Format) func(name string) bool {
	switch f {
	case Table, CSV:
		keep := map[string]bool{}
		for _, k := range keyFields {
			keep[k] = true
		}
		for _, k := range winevent.ProcessKeyFields() {
			keep[k] = true
		}
		return func(name string) bool { return keep[name] }
	}
	return nil
}
