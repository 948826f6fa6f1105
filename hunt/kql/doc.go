// Package kql parses and evaluates the Kusto Query Language (KQL) subset
// that Microsoft Sentinel and Defender hunting queries use, over tables
// served by a Catalog.
//
// Use Parse to turn query text into a *Query (a *SyntaxError carries the
// line and column of the first problem), Query.Tables to learn which tables
// to materialize, Check for semantic warnings against a Catalog, and
// Query.Run to evaluate. A *Query is immutable after Parse and safe for
// concurrent Run calls.
//
// The evaluator follows the documented KQL semantics: has term matching,
// case-insensitive versus case-sensitive operators, strings that are never
// null, null comparisons that are false inside where, and now() pinned to
// one value per run (Options.Now).
package kql
