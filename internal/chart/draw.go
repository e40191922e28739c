package chart

import (
	"encoding/json"
	"fmt"

	"github.com/safeload/safeload/internal/domain"
)

// Kinds of drawing a domain.Image may carry as figures (Image.Kind).
const (
	KindTeam  = "team"
	KindTrend = "trend"
)

// TeamImage is the digest picture of a team, to be drawn when it is sent.
func TeamImage(t TeamChart, name, alt string) (*domain.Image, error) {
	spec, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	return &domain.Image{Name: name, Type: "image/png", Alt: alt, Kind: KindTeam, Spec: spec}, nil
}

// TrendImage is the digest picture of a service manager's teams over the
// weeks, to be drawn when it is sent.
func TrendImage(t TrendChart, name, alt string) (*domain.Image, error) {
	spec, err := json.Marshal(t)
	if err != nil {
		return nil, err
	}
	return &domain.Image{Name: name, Type: "image/png", Alt: alt, Kind: KindTrend, Spec: spec}, nil
}

// Draw fills in img.Data from its figures; a picture already drawn is left
// as it is.
func Draw(img *domain.Image) error {
	if img == nil || img.Drawn() {
		return nil
	}
	var (
		out Image
		err error
	)
	switch img.Kind {
	case KindTeam:
		var t TeamChart
		if err := json.Unmarshal(img.Spec, &t); err != nil {
			return fmt.Errorf("chart %s: %w", img.Name, err)
		}
		out, _, err = t.PNG()
	case KindTrend:
		var t TrendChart
		if err := json.Unmarshal(img.Spec, &t); err != nil {
			return fmt.Errorf("chart %s: %w", img.Name, err)
		}
		out, err = t.PNG()
	default:
		return fmt.Errorf("chart %s: nothing to draw it from (kind %q)", img.Name, img.Kind)
	}
	if err != nil {
		return fmt.Errorf("chart %s: %w", img.Name, err)
	}
	img.Type, img.Data = out.ContentType, out.Data
	return nil
}
