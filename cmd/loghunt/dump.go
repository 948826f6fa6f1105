package main

import (
	"context"
	"errors"
	"io"
)

func runDump(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return errors.New("dump is not available yet")
}
