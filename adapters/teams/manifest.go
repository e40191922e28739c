package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/safeload/safeload/prompts"
)

// The app manifest schema the package is written for.
const (
	ManifestVersion = "1.22"
	ManifestSchema  = "https://developer.microsoft.com/json-schemas/teams/v1.22/MicrosoftTeams.schema.json"
)

// Icon sizes Teams requires: a full-colour icon and a white outline on a
// transparent background.
const (
	ColorIconSize   = 192
	OutlineIconSize = 32
)

// accent is safeload's colour in Teams.
var accent = color.NRGBA{0x1d, 0x4f, 0x91, 0xff}

// ManifestOptions say which bot the package is for and where safeload runs.
type ManifestOptions struct {
	// AppID is the bot's Microsoft app ID (TEAMS_APP_ID), a GUID.
	AppID string
	// URL is safeload's public https address; its host is the app's valid
	// domain, and it is the developer's web site.
	URL string
	// Version is the package version (default 1.0.0).
	Version string
}

var guidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsGUID reports whether s is a GUID like an app or tenant ID.
func IsGUID(s string) bool { return guidRE.MatchString(s) }

// ManifestCommands are the commands Teams suggests when someone types to the
// bot; their descriptions are in the prompts.
var ManifestCommands = []string{"allocate", "capacity", "caseload", "setup"}

// Manifest is the app manifest (manifest.json).
func Manifest(o ManifestOptions, p *prompts.Set) ([]byte, error) {
	if !IsGUID(o.AppID) {
		return nil, fmt.Errorf("TEAMS_APP_ID %q is not an app ID (a GUID like 00000000-0000-0000-0000-000000000000)", o.AppID)
	}
	base := strings.TrimRight(o.URL, "/")
	u, err := url.Parse(base)
	if base == "" || err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return nil, fmt.Errorf("--url %q is not an https:// address like https://safeload.example.org", o.URL)
	}
	version := o.Version
	if version == "" {
		version = "1.0.0"
	}
	var commands []map[string]string
	for _, c := range ManifestCommands {
		commands = append(commands, map[string]string{"title": c, "description": clip(p.Say("teams.manifest."+c, nil), 128)})
	}
	m := map[string]any{
		"$schema":         ManifestSchema,
		"manifestVersion": ManifestVersion,
		"version":         version,
		"id":              strings.ToLower(o.AppID),
		"developer": map[string]string{
			"name": "safeload", "websiteUrl": base, "privacyUrl": base, "termsOfUseUrl": base,
		},
		"name":        map[string]string{"short": "safeload", "full": "safeload: safe caseloads"},
		"description": map[string]string{"short": clip(p.Say("teams.manifest.short", nil), 80), "full": clip(p.Say("teams.manifest.full", nil), 4000)},
		"icons":       map[string]string{"color": "color.png", "outline": "outline.png"},
		"accentColor": fmt.Sprintf("#%02X%02X%02X", accent.R, accent.G, accent.B),
		"bots": []map[string]any{{
			"botId":              strings.ToLower(o.AppID),
			"scopes":             []string{"team", "personal", "groupChat"},
			"supportsFiles":      false,
			"isNotificationOnly": false,
			"commandLists": []map[string]any{
				{"scopes": []string{"team", "personal", "groupChat"}, "commands": commands},
			},
		}},
		"permissions":  []string{"identity", "messageTeamMembers"},
		"validDomains": []string{u.Host},
	}
	return json.MarshalIndent(m, "", "  ")
}

// Package is the app package to upload to Teams: manifest.json and its two
// icons, in one zip.
func Package(o ManifestOptions, p *prompts.Set) ([]byte, error) {
	manifest, err := Manifest(o, p)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	// A fixed time makes the same options give the same bytes.
	modified := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, f := range []struct {
		name string
		data func() ([]byte, error)
	}{
		{"manifest.json", func() ([]byte, error) { return manifest, nil }},
		{"color.png", func() ([]byte, error) { return encodePNG(colorIcon()) }},
		{"outline.png", func() ([]byte, error) { return encodePNG(outlineIcon()) }},
	} {
		data, err := f.data()
		if err != nil {
			return nil, err
		}
		w, err := z.CreateHeader(&zip.FileHeader{Name: f.name, Method: zip.Deflate, Modified: modified})
		if err != nil {
			return nil, err
		}
		if _, err := w.Write(data); err != nil {
			return nil, err
		}
	}
	if err := z.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func encodePNG(img image.Image) ([]byte, error) {
	var b bytes.Buffer
	err := png.Encode(&b, img)
	return b.Bytes(), err
}

func fill(img *image.NRGBA, r image.Rectangle, c color.NRGBA) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			img.SetNRGBA(x, y, c)
		}
	}
}

// colorIcon is a capacity board: three bars of falling length, red, amber
// and green, on safeload's blue.
func colorIcon() image.Image {
	const s = ColorIconSize
	img := image.NewNRGBA(image.Rect(0, 0, s, s))
	fill(img, img.Rect, accent)
	bars := []struct {
		length int
		c      color.NRGBA
	}{
		{140, color.NRGBA{0xd1, 0x34, 0x38, 0xff}},
		{112, color.NRGBA{0xf7, 0xa7, 0x1c, 0xff}},
		{80, color.NRGBA{0x2e, 0xa0, 0x43, 0xff}},
	}
	for i, b := range bars {
		y := 44 + i*40
		fill(img, image.Rect(26, y, 26+b.length, y+26), b.c)
	}
	return img
}

// outlineIcon is the same board as a white outline on a transparent ground.
func outlineIcon() image.Image {
	const s = OutlineIconSize
	img := image.NewNRGBA(image.Rect(0, 0, s, s))
	white := color.NRGBA{0xff, 0xff, 0xff, 0xff}
	for i, length := range []int{24, 19, 13} {
		y := 6 + i*8
		r := image.Rect(4, y, 4+length, y+5)
		fill(img, image.Rect(r.Min.X, r.Min.Y, r.Max.X, r.Min.Y+1), white)
		fill(img, image.Rect(r.Min.X, r.Max.Y-1, r.Max.X, r.Max.Y), white)
		fill(img, image.Rect(r.Min.X, r.Min.Y, r.Min.X+1, r.Max.Y), white)
		fill(img, image.Rect(r.Max.X-1, r.Min.Y, r.Max.X, r.Max.Y), white)
	}
	return img
}
