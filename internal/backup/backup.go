// Package backup writes a copy of the store to a file the way an operator
// can trust: beside the target under a temporary name, synced, then renamed
// over it, never over the store itself. It reads the copy from a stream, so
// the same code writes a backup of a store it opened and one streamed from a
// running serve over the admin socket. It knows nothing of bbolt or chat.
package backup

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// ErrIsStore refuses a target that is, or would replace, the store.
var ErrIsStore = errors.New("is the store itself; choose another file")

// CheckTarget refuses dst when it is the store: the same file once links
// are resolved (same device and inode), or a path in the store's directory
// with the store's name (a store that is not there yet, or was replaced).
func CheckTarget(dst, store string) error {
	if di, err := os.Stat(dst); err == nil {
		if si, err := os.Stat(store); err == nil && os.SameFile(di, si) {
			return fmt.Errorf("%s %w", dst, ErrIsStore)
		}
	}
	if filepath.Base(dst) == filepath.Base(store) && sameDir(filepath.Dir(dst), filepath.Dir(store)) {
		return fmt.Errorf("%s %w", dst, ErrIsStore)
	}
	if real, err := filepath.EvalSymlinks(dst); err == nil && real != dst {
		return CheckTarget(real, store)
	}
	return nil
}

func sameDir(a, b string) bool {
	ai, err1 := os.Stat(a)
	bi, err2 := os.Stat(b)
	if err1 == nil && err2 == nil {
		return os.SameFile(ai, bi)
	}
	aa, err1 := filepath.Abs(a)
	ba, err2 := filepath.Abs(b)
	return err1 == nil && err2 == nil && aa == ba
}

// Write copies what stream writes into dst atomically: a temporary file
// beside dst is written, synced and renamed over it, and the directory is
// synced, so a failed backup never leaves a torn file and a finished one
// survives a power cut. want, when positive, is the size the stream must
// deliver; a short stream is an error and leaves dst as it was.
func Write(dst, store string, want int64, stream func(io.Writer) (int64, error)) error {
	if err := CheckTarget(dst, store); err != nil {
		return err
	}
	dir := filepath.Dir(dst)
	f, err := os.CreateTemp(dir, "."+filepath.Base(dst)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	fail := func(err error) error {
		_ = f.Close()
		_ = os.Remove(tmp)
		return err
	}
	if err := f.Chmod(0o600); err != nil {
		return fail(err)
	}
	n, err := stream(f)
	if err != nil {
		return fail(err)
	}
	if want > 0 && n != want {
		return fail(fmt.Errorf("the copy stopped after %d of %d bytes", n, want))
	}
	if err := f.Sync(); err != nil {
		return fail(err)
	}
	if err := f.Close(); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	// Check again just before the rename: the target may have become a link
	// to the store while the copy was written.
	if err := CheckTarget(dst, store); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return err
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
