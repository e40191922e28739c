// Package atomicfile writes a file so that a reader never sees half of it:
// the data goes to a temporary file beside the target, which is then
// renamed over it. It knows nothing of safeload's data.
package atomicfile

import (
	"errors"
	"os"
	"path/filepath"
)

// WriteFile writes data to path through a temporary file beside it (mode
// 0600), so a reader sees the old file or the new one, never a torn one.
func WriteFile(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return unwrapPathError(err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// unwrapPathError drops the temporary file's name, which means nothing to
// whoever asked for path.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
