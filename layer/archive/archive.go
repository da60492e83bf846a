// Package archive reads and writes tar streams safely: extraction is
// confined to a destination directory (every path is resolved inside it with
// openat2 RESOLVE_IN_ROOT, so neither "../", absolute names nor symlinks can
// write outside), and tar creation never follows symlinks out of the tree.
// It also converts between OCI ".wh." whiteouts and overlayfs whiteouts.
// Used by the layer store (apply, diff), docker cp, export, import and commit.
package archive

import (
	"errors"
	"fmt"
	"io/fs"

	"github.com/berth-project/berth/internal/errdefs"
)

// WhiteoutMode says what Apply does with OCI whiteout entries.
type WhiteoutMode int

const (
	// WhiteoutNone treats ".wh." entries as ordinary files.
	WhiteoutNone WhiteoutMode = iota
	// WhiteoutOverlay converts ".wh.<name>" into a 0:0 character device and
	// ".wh..wh..opq" into trusted.overlay.opaque=y on its directory, so the
	// result can be used as an overlayfs lower directory.
	WhiteoutOverlay
	// WhiteoutApply deletes the whited-out path from dst (applying a layer
	// onto a flat directory); an opaque marker deletes the directory's
	// content that this tar did not itself create.
	WhiteoutApply
)

// OCI whiteout names.
const (
	WhiteoutPrefix    = ".wh."
	WhiteoutOpaqueDir = ".wh..wh..opq"
	// WhiteoutMetaPrefix starts aufs metadata names, which carry no content.
	WhiteoutMetaPrefix = ".wh..wh."
	// OverlayOpaqueXattr marks an overlayfs directory as opaque.
	OverlayOpaqueXattr = "trusted.overlay.opaque"
)

// Limits against hostile headers (Go's archive/tar already caps PAX and GNU
// long-name headers at 1 MiB).
const (
	MaxNameLen       = 4096      // PATH_MAX
	MaxXattrValueLen = 64 << 10  // XATTR_SIZE_MAX
	MaxXattrTotalLen = 256 << 10 // all xattrs of one entry
	// MaxSparseSize caps the logical size of a sparse entry (its holes
	// cost no input, so they are a decompression bomb).
	MaxSparseSize = 8 << 30
)

// Owner is a numeric uid/gid pair.
type Owner struct{ UID, GID int }

// ApplyOptions tunes Apply.
type ApplyOptions struct {
	Whiteouts WhiteoutMode
	// AllowDevices permits character and block device entries (layers,
	// import). When false (docker cp) they are refused. FIFOs are always
	// allowed.
	AllowDevices bool
	// NoLchown keeps the extracting user's ownership.
	NoLchown bool
	// ChownTo, when set, replaces every entry's uid/gid (docker cp without
	// -a copies files as the container's root user).
	ChownTo *Owner
	// NoOverwriteDirNonDir refuses to replace a directory by a non-directory
	// or the other way round (docker cp semantics).
	NoOverwriteDirNonDir bool
}

// TarOptions tunes TarPath and TarDir.
type TarOptions struct {
	// RebaseName is the entry name used for the tarred path itself
	// (TarPath only); "" means the path's base name, so tarring /etc/hosts
	// yields "hosts" and a directory "dir" yields "dir/", "dir/...".
	RebaseName string
	// FollowLink follows a symlink in the final component of the path
	// (TarPath only; intermediate components are always resolved in root).
	FollowLink bool
	// ConvertWhiteouts turns overlayfs whiteouts (0:0 character devices)
	// into ".wh.<name>" entries and opaque directories into a
	// ".wh..wh..opq" entry (for commit / layer diffs).
	ConvertWhiteouts bool
}

// BreakoutError reports a tar entry that tried to leave the destination.
type BreakoutError struct{ Name, Reason string }

func (e *BreakoutError) Error() string {
	return fmt.Sprintf("invalid tar entry %q: %s", e.Name, e.Reason)
}

// Is makes breakouts a bad-request error class.
func (e *BreakoutError) Is(target error) bool { return target == errdefs.ErrInvalidParameter }

// notFoundError is returned when a path to tar or resolve does not exist; it
// matches both errdefs.ErrNotFound and fs.ErrNotExist.
type notFoundError struct{ path string }

func (e *notFoundError) Error() string { return fmt.Sprintf("no such file or directory: %s", e.path) }

func (e *notFoundError) Is(target error) bool {
	return target == errdefs.ErrNotFound || target == fs.ErrNotExist
}

// IsNotExist reports whether err means the requested path does not exist.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
