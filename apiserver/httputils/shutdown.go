package httputils

import "context"

type shutdownKey struct{}

// WithShutdown records a channel that is closed when the server starts
// shutting down, so long-lived streams (events, logs --follow, wait) can end
// and let the graceful shutdown finish, while ordinary requests keep their
// context and complete normally.
func WithShutdown(ctx context.Context, ch <-chan struct{}) context.Context {
	return context.WithValue(ctx, shutdownKey{}, ch)
}

// ShutdownFromContext returns that channel; nil (never ready) if none.
func ShutdownFromContext(ctx context.Context) <-chan struct{} {
	ch, _ := ctx.Value(shutdownKey{}).(<-chan struct{})
	return ch
}
