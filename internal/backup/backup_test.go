package backup

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCheckTargetRefusesTheStore(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "live.db")
	if err := os.WriteFile(store, []byte("store"), 0o600); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(dir, "link.db")
	if err := os.Symlink(store, link); err != nil {
		t.Fatal(err)
	}
	hard := filepath.Join(dir, "hard.db")
	if err := os.Link(store, hard); err != nil {
		t.Fatal(err)
	}
	dirLink := filepath.Join(t.TempDir(), "d")
	if err := os.Symlink(dir, dirLink); err != nil {
		t.Fatal(err)
	}
	for name, dst := range map[string]string{
		"same path":          store,
		"dotted path":        filepath.Join(dir, ".", "live.db"),
		"symlink to it":      link,
		"hard link":          hard,
		"through a dir link": filepath.Join(dirLink, "live.db"),
	} {
		t.Run(name, func(t *testing.T) {
			if err := CheckTarget(dst, store); !errors.Is(err, ErrIsStore) {
				t.Fatalf("CheckTarget(%s) = %v, want ErrIsStore", dst, err)
			}
			err := Write(dst, store, 0, func(w io.Writer) (int64, error) {
				t.Fatal("the stream was read for a refused target")
				return 0, nil
			})
			if !errors.Is(err, ErrIsStore) {
				t.Fatalf("Write = %v", err)
			}
			if b, _ := os.ReadFile(store); string(b) != "store" {
				t.Fatalf("store changed: %q", b)
			}
		})
	}
	// A store not created yet is still protected by its name.
	if err := CheckTarget(filepath.Join(dir, "new.db"), filepath.Join(dir, "new.db")); !errors.Is(err, ErrIsStore) {
		t.Fatalf("missing store: %v", err)
	}
	if err := CheckTarget(filepath.Join(dir, "copy.db"), store); err != nil {
		t.Fatalf("a copy beside the store is fine: %v", err)
	}
}

func TestWriteIsAtomic(t *testing.T) {
	dir := t.TempDir()
	dst := filepath.Join(dir, "copy.db")
	if err := os.WriteFile(dst, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	short := func(w io.Writer) (int64, error) { return io.Copy(w, strings.NewReader("abc")) }
	if err := Write(dst, filepath.Join(dir, "live.db"), 10, short); err == nil {
		t.Fatal("a cut stream was accepted")
	}
	if b, _ := os.ReadFile(dst); string(b) != "old" {
		t.Fatalf("a failed backup changed the target: %q", b)
	}
	if err := Write(dst, filepath.Join(dir, "live.db"), 3, short); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dst)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(dst); string(b) != "abc" || fi.Mode().Perm() != 0o600 {
		t.Fatalf("backup = %q mode %v", b, fi.Mode())
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".copy.db.tmp-*"))
	if len(left) != 0 {
		t.Fatalf("temporary files left: %v", left)
	}
}
