package container

import (
	"context"
	"errors"
	"fmt"
	"io"
)

// forEachContainer runs op on every name concurrently (bounded), then
// prints each success in argument order to out and joins the failures,
// like docker's multi-container verbs (stop, kill, rm, ...).
func forEachContainer(ctx context.Context, out io.Writer, names []string, op func(ctx context.Context, name string) error, ignore func(error) bool) error {
	results := make([]chan error, len(names))
	sem := make(chan struct{}, 50)
	for i, n := range names {
		results[i] = make(chan error, 1)
		go func(i int, n string) {
			sem <- struct{}{}
			defer func() { <-sem }()
			results[i] <- op(ctx, n)
		}(i, n)
	}
	var errs []error
	for i, n := range names {
		if err := <-results[i]; err != nil {
			if ignore != nil && ignore(err) {
				continue
			}
			errs = append(errs, err)
			continue
		}
		fmt.Fprintln(out, n)
	}
	return errors.Join(errs...)
}
