// Package volume is the local volume store: named and anonymous volumes
// whose data lives on the host under the daemon's data root, with records
// in the daemon's shared bbolt database.
//
// On disk (like Docker's local driver):
//
//	<data-root>/volumes/          0701
//	  <name>/                     0755
//	    _data/                    0755, the Mountpoint containers see
//
// Volumes created with local-driver options (-o type=tmpfs device=tmpfs
// o=size=64m, or type=none o=bind device=/path) are mounted on _data when
// their first user mounts them and unmounted after the last one leaves.
//
// "In use" is an in-memory set of container references per volume; the
// container lifecycle re-adds them from container records when the daemon
// starts, so there is no second copy of that truth on disk.
package volume
