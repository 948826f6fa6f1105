// Package sigma compiles Sigma rules (detection, correlation and filter
// rules) into matchers and evaluates them against parsers.Event values.
//
// Entry points:
//   - Load reads one fs.FS (the embedded bundled rules, say); a Loader
//     takes several sources (AddFS, AddPath for user files or
//     directories, AddBytes) and compiles them together with Compile.
//     Both return a *Ruleset and a *Report that lists every rule loaded
//     and every rule not loaded with its position and reason. Loading
//     never fails as a whole.
//   - (*Ruleset).Match evaluates one event against the rules whose
//     logsource can match it. It is safe for concurrent use.
//   - (*Ruleset).NewCorrelator returns the state machine for correlation
//     rules; feed it base-rule matches in timestamp order.
//
// Rule YAML is read with gopkg.in/yaml.v3 (keeping each value as written,
// so "0x1410" stays a string and null differs from ”), and condition
// expressions are parsed by github.com/bradleyjkemp/sigma-go. Every rule is
// then compiled, once, into this package's own matcher; sigma-go's
// evaluator is not used.
//
// The detection tree: a rule's detection section is first read into a
// Detection, plain data with positions in the rule file: its Searches
// (field maps of FieldMatcher, each a field, typed Modifiers and Values
// that keep null, ” and numbers as written and their wildcards as a
// Pattern) and its Conditions (expression trees of AndExpr, OrExpr,
// NotExpr, SearchRef and OfExpr, for "1 of sel*" and "all of them"). The
// compiler builds the matcher from this tree only; (*Rule).Detection
// returns it for the other readers of a rule's logic: a Sigma-to-KQL
// converter, tuning files that name a rule's searches and fields, and
// tools that explain or lint rules. Loading validates the tree: a rule
// that loads has resolved references, known modifiers and compiled values.
//
// Matching semantics:
//   - Strings compare case-insensitively unless the cased modifier is
//     given; re is case-sensitive unless its i flag is given.
//   - Field names compare exactly; when an event has no field of the exact
//     name, a field whose name differs only in case is used instead (so a
//     rule's ProcessID finds an event's ProcessId, but an event that has
//     both keeps them apart).
//   - A field name that repeats in an event is a list: a value pattern
//     matches if any element matches.
//   - null matches an absent field; ” matches a present, empty one.
//   - Keyword searches (lists of strings) match when any single field
//     value of the event contains the keyword (wildcards allowed). The
//     rendered event message is not searched: parsers do not render it.
//
// Routing (logsources.yml, embedded, with the channels of each service and
// the field mappings from parsers/winevent): a rule runs only on events of
// the channels and event IDs its logsource maps to; process_creation runs
// on Sysmon 1 and on Security 4688, where Image, ParentImage, ProcessId,
// ParentProcessId, IntegrityLevel and User are computed from the 4688
// fields (winevent.Security4688) without modifying the event.
package sigma
