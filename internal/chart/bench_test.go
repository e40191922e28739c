package chart

import (
	"fmt"
	"testing"

	"github.com/safeload/safeload/internal/domain"
)

// BenchmarkTeamChartPNG is the cost a team's digest pays for its picture.
func BenchmarkTeamChartPNG(b *testing.B) {
	var bars []Bar
	for i := range 20 {
		bars = append(bars, Bar{Name: fmt.Sprintf("Practitioner %02d", i), Percent: float64(60 + 3*i), RAG: domain.Green})
	}
	tc := TeamChart{Title: "A team of twenty", Bars: bars, Bands: Bands{95, 100, 110}}
	for b.Loop() {
		if _, _, err := tc.PNG(); err != nil {
			b.Fatal(err)
		}
	}
}
