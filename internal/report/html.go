package report

import (
	"bytes"
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/safeload/safeload/internal/chart"
	"github.com/safeload/safeload/internal/domain"
)

//go:embed report.html.tmpl
var pageText string

// page is parsed once: a broken template stops the program at start-up.
var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"pct": func(x float64) string { return fmt.Sprintf("%.1f %%", x) },
	"num": func(x float64) string {
		if x == float64(int64(x)) {
			return fmt.Sprintf("%d", int64(x))
		}
		return fmt.Sprintf("%.1f", x)
	},
	"date": func(d domain.Date) string {
		t, err := time.Parse(time.DateOnly, string(d))
		if err != nil {
			return string(d)
		}
		return t.Format("2 Jan 2006")
	},
	"short": func(d domain.Date) string {
		t, err := time.Parse(time.DateOnly, string(d))
		if err != nil {
			return string(d)
		}
		return t.Format("2 Jan")
	},
	"stamp": func(t time.Time) string { return t.Format("2 Jan 2006 15:04 MST") },
	"dur":   Duration,
	"ratio": func(n, of int) string {
		if of == 0 {
			return "–"
		}
		return fmt.Sprintf("%d of %d (%.0f %%)", n, of, float64(n)/float64(of)*100)
	},
	"dot": func(r string) string { return map[string]string{"green": "●", "amber": "▲", "red": "■"}[r] },
}).Parse(pageText))

// Duration says how long in days and hours ("2 days 4 hours").
func Duration(d time.Duration) string {
	if d < time.Minute {
		return "under a minute"
	}
	days := int(d.Hours()) / 24
	hours := int(d.Hours()) % 24
	unit := func(n int, one string) string {
		if n == 1 {
			return "1 " + one
		}
		return fmt.Sprintf("%d %ss", n, one)
	}
	switch {
	case days > 0 && hours > 0:
		return unit(days, "day") + " " + unit(hours, "hour")
	case days > 0:
		return unit(days, "day")
	case hours > 0:
		return unit(hours, "hour")
	}
	return unit(int(d.Minutes()), "minute")
}

// figure is a chart ready for the page: its SVG (from gonum/plot, so
// trusted) and what it shows in words.
type figure struct {
	ID  string
	SVG template.HTML
	Alt string
}

// view is what the template reads.
type view struct {
	*Report
	Sections []section
	Earliest domain.Date // the earliest snapshot of any team
	Partial  bool        // some weeks of the period predate the snapshots
}

type section struct {
	*Team
	Service bool
	Load    figure
	RAG     figure
}

// Render writes the report as one self-contained HTML page.
func Render(w io.Writer, r *Report) error {
	v := view{Report: r}
	if r.Service != nil {
		s, err := r.section(r.Service, true)
		if err != nil {
			return err
		}
		v.Sections = append(v.Sections, s)
	}
	for _, t := range r.Teams {
		s, err := r.section(t, false)
		if err != nil {
			return err
		}
		v.Sections = append(v.Sections, s)
		if t.FirstSnapshot != "" && (v.Earliest == "" || t.FirstSnapshot < v.Earliest) {
			v.Earliest = t.FirstSnapshot
		}
		if t.FirstSnapshot == "" || t.FirstSnapshot > weekStartOf(r.From) {
			v.Partial = true
		}
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// weekStartOf is the Monday of d's week (dates carry no zone).
func weekStartOf(d domain.Date) domain.Date {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return d
	}
	return d.AddDays(-((int(t.Weekday()) + 6) % 7))
}

func (r *Report) bands() chart.Bands {
	return chart.Bands{Room: r.Bands.Room, Amber: r.Bands.Amber, Red: r.Bands.Red}
}

func (r *Report) section(t *Team, service bool) (section, error) {
	s := section{Team: t, Service: service}
	id := t.ID
	if service {
		id = "service"
	}
	var labels []string
	for _, w := range t.Weeks {
		labels = append(labels, shortDate(w.Week))
	}
	// The load chart: the team's line, or the service's with each team's.
	trend := chart.TrendChart{Title: "Load week by week", Weeks: labels, Bands: r.bands()}
	add := func(name string, tm *Team) {
		se := chart.Series{Name: name}
		for _, w := range tm.Weeks {
			se.Percent = append(se.Percent, w.Percent)
			se.Has = append(se.Has, w.Has && w.HasPercent)
		}
		trend.Series = append(trend.Series, se)
	}
	if service {
		add("Whole service", t)
		for _, tm := range t.series {
			add(tm.Name, tm)
		}
	} else {
		add(t.Name, t)
	}
	img, err := trend.SVG()
	if err != nil {
		return s, err
	}
	s.Load = inline(id+"-load", img)
	rag := chart.RAGChart{Title: "Practitioners by RAG rating, week by week"}
	for _, w := range t.Weeks {
		rag.Weeks = append(rag.Weeks, chart.RAGWeek{Label: shortDate(w.Week), Green: w.Green, Amber: w.Amber, Red: w.Red, Has: w.Has})
	}
	if img, err = rag.SVG(); err != nil {
		return s, err
	}
	s.RAG = inline(id+"-rag", img)
	return s, nil
}

func shortDate(d domain.Date) string {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return string(d)
	}
	return t.Format("2 Jan")
}

// inline labels a chart's SVG for screen readers: role img, named by its
// alt text (the table beside it has every figure too).
func inline(id string, img chart.Image) figure {
	svg := strings.Replace(string(img.Data), "<svg ", `<svg role="img" aria-labelledby="`+id+`-alt" `, 1)
	svg = strings.Replace(svg, ">", `><title id="`+id+`-alt">`+template.HTMLEscapeString(img.Alt)+`</title>`, 1)
	return figure{ID: id, SVG: template.HTML(svg), Alt: img.Alt}
}
