// Package httputils holds the small helpers every Engine API router shares:
// the negotiated API version in the request context, JSON request decoding
// and response encoding, Docker's query-parameter parsing (booleans such as
// "1", "true", "True"), Docker's timestamp format, flushing writers for
// progress streams, the stdcopy frame writer, and connection hijacking for
// attach and exec.
package httputils
