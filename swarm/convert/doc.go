// Package convert translates between the Engine API swarm types
// (github.com/moby/moby/api/types/swarm), which the HTTP routes and the
// docker CLI speak, and the SwarmKit protobuf objects
// (github.com/moby/swarmkit/v2/api) the embedded manager stores.
//
// It is pure: no I/O, no daemon state. Conversions follow dockerd's
// daemon/cluster/convert, so that inspect output and validation errors
// read the same as Docker's; where they deliberately differ the function
// comment says so. The *Filters functions build SwarmKit list-request
// filters from the API's ?filters= and the Match* functions apply what a
// SwarmKit request cannot express, after listing.
package convert
