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
// null, the null rules of Kusto's "Null values" page (null == value is
// false, null != value is true, other operators with a null operand give
// null, which where treats as false), and now() pinned to one value per run
// (Options.Now). For has with a needle that holds
// punctuation or spaces the rule is a case-insensitive substring match whose
// alphanumeric ends must sit on term boundaries (terms are runs of ASCII
// letters and digits).
//
// Tabular operators: where, project, project-away/-keep/-rename/-reorder,
// extend, summarize (aggregates also nested in expressions), top, take,
// limit, sort/order, distinct, count, union (tables and subqueries,
// withsource, isfuzzy), join and lookup (inner, innerunique, leftouter,
// rightouter, fullouter, leftsemi, leftanti, rightsemi, rightanti), let
// (scalar, tabular, functions with defaults and tabular parameters, view),
// materialize, toscalar, parse (simple and regex), mv-expand, mv-apply,
// invoke, serialize with prev/next, getschema, evaluate bag_unpack and
// pivot, print, datatable, range, externaldata (no rows offline, with a
// warning), make-series (capped at 2^20 bins per series and 2^22 in all),
// top-nested, and find over its in-clause or, without one, every table of
// a Catalog that implements TableLister (Query.ReadsEveryTable tells an
// engine to materialize them all). Other plugins and operators parse but
// fail at Run with ErrUnsupported.
//
// The language knows no workspace's naming conventions. A Catalog that
// implements Naming says which other spellings and function-style calls
// denote its tables (hunt/kql/schema's catalog answers with Microsoft
// Sentinel's ASIM names); Query.Tables takes the same Naming.
//
// Scalar functions are literal tables, one per family (funcs_string.go,
// funcs_datetime.go, funcs_series.go for the series_* functions over
// make-series arrays, ...); call.go checks arguments and compiles calls.
//
// Unknown columns evaluate to null and are reported as warnings (an error
// with Options.Strict); unknown tables are errors from Run and warnings
// from Check. A Catalog that implements TableNoter adds its own warning for
// every query that reads a given table (hunt/kql/schema: a table with no
// source in Windows event logs, always empty).
//
// Governance (govern.go): with Options.Memory a query draws on a memory
// budget as its operators materialise rows, hash indexes and groups
// (estimated from rows and their width), and with Options.Timeout on a
// time budget; exceeding either stops it with a *BudgetError naming the
// operator and its position. Every operator loop checks the context. Joins
// build their hash index on the smaller side, and a join followed by count
// or summarize never materialises its rows (join.go). Query.Uses and
// CompileFilter tell an engine which rows and columns of a table a query
// can read, so that it stores less (pushdown.go).
package kql
