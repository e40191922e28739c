package digestrun

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/safeload/safeload/internal/atomicfile"
	"github.com/safeload/safeload/internal/chart"
)

// Chart is one picture WriteCharts wrote.
type Chart struct {
	Path string
	Size int // bytes
}

// WriteCharts draws the picture each draft carries and writes it into dir
// (made if missing) under the picture's own name, replacing a file there
// whole. Drafts without a picture are skipped.
func WriteCharts(dir string, drafts []Draft) ([]Chart, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return nil, fmt.Errorf("--charts %s: %v", dir, err)
	}
	var out []Chart
	for _, d := range drafts {
		img := d.Message.Image
		if img == nil {
			continue
		}
		if err := chart.Draw(img); err != nil {
			return out, err
		}
		path := filepath.Join(dir, filepath.Base(img.Name))
		if err := atomicfile.WriteFile(path, img.Data); err != nil {
			return out, fmt.Errorf("writing %s: %v", path, err)
		}
		out = append(out, Chart{Path: path, Size: len(img.Data)})
	}
	return out, nil
}
