package app

import (
	"testing"

	"github.com/loghunt/loghunt/hunt/budget"
)

// TestKQLMemoryDrawsOnTheRunsBudget: the queries' reservations count
// against --max-memory together with the other accounts, and a query is
// refused what the budget no longer holds.
func TestKQLMemoryDrawsOnTheRunsBudget(t *testing.T) {
	b := budget.New(1000)
	hits := b.Account("hits")
	m := kqlMemory{b.Account("kql")}
	if m.Limit() != 1000 {
		t.Fatalf("Limit() = %d, want the budget's 1000", m.Limit())
	}
	if !hits.Reserve(600) {
		t.Fatal("the hits could not take 600 of 1000")
	}
	if m.Grow(500) {
		t.Fatal("the queries took 500 with only 400 left")
	}
	if !m.Grow(400) {
		t.Fatal("the queries could not take the 400 left")
	}
	if got := b.Used(); got != 1000 {
		t.Errorf("budget used %d, want 1000", got)
	}
	m.Shrink(400)
	if got := b.Account("kql").Used(); got != 0 {
		t.Errorf("kql account holds %d after Shrink, want 0", got)
	}
	if !m.Grow(400) {
		t.Error("what Shrink gave back could not be taken again")
	}
}
