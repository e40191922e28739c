package teams

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"image/png"
	"io"
	"slices"
	"testing"

	"github.com/safeload/safeload/prompts"
)

func TestPackage(t *testing.T) {
	p := prompts.MustLoad()
	zb, err := Package(ManifestOptions{AppID: testAppID, URL: "https://safeload.example.org/"}, p)
	if err != nil {
		t.Fatal(err)
	}
	z, err := zip.NewReader(bytes.NewReader(zb), int64(len(zb)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range z.File {
		r, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(r)
		r.Close()
	}
	if len(files) != 3 {
		t.Fatalf("files: %v", len(files))
	}
	var m struct {
		Schema          string `json:"$schema"`
		ManifestVersion string `json:"manifestVersion"`
		ID              string `json:"id"`
		Version         string `json:"version"`
		Developer       map[string]string
		Name            map[string]string
		Description     map[string]string
		Icons           map[string]string
		AccentColor     string `json:"accentColor"`
		ValidDomains    []string
		Bots            []struct {
			BotID        string   `json:"botId"`
			Scopes       []string `json:"scopes"`
			CommandLists []struct {
				Scopes   []string            `json:"scopes"`
				Commands []map[string]string `json:"commands"`
			} `json:"commandLists"`
		}
	}
	if err := json.Unmarshal(files["manifest.json"], &m); err != nil {
		t.Fatal(err)
	}
	if m.ManifestVersion != ManifestVersion || m.Schema != ManifestSchema || m.ID != testAppID || m.Version != "1.0.0" {
		t.Fatalf("manifest: %+v", m)
	}
	if m.Developer["websiteUrl"] != "https://safeload.example.org" || m.ValidDomains[0] != "safeload.example.org" {
		t.Fatalf("URLs: %+v %v", m.Developer, m.ValidDomains)
	}
	if len(m.Name["short"]) > 30 || len(m.Description["short"]) > 80 || len(m.Description["full"]) > 4000 || m.Description["full"] == "" {
		t.Fatalf("names and descriptions: %+v %+v", m.Name, m.Description)
	}
	if len(m.Bots) != 1 || m.Bots[0].BotID != testAppID {
		t.Fatalf("bots: %+v", m.Bots)
	}
	for _, s := range []string{"team", "personal", "groupChat"} {
		if !slices.Contains(m.Bots[0].Scopes, s) {
			t.Fatalf("scope %s missing: %v", s, m.Bots[0].Scopes)
		}
	}
	cmds := m.Bots[0].CommandLists[0].Commands
	if len(cmds) != len(ManifestCommands) || len(cmds) > 10 {
		t.Fatalf("commands: %v", cmds)
	}
	for _, c := range cmds {
		if c["title"] == "" || len(c["title"]) > 32 || c["description"] == "" || len(c["description"]) > 128 || c["description"][0] == '[' {
			t.Fatalf("command %v", c)
		}
	}
	for name, size := range map[string]int{"color.png": ColorIconSize, "outline.png": OutlineIconSize} {
		img, err := png.Decode(bytes.NewReader(files[name]))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if b := img.Bounds(); b.Dx() != size || b.Dy() != size {
			t.Fatalf("%s is %v", name, b)
		}
	}
	// The outline icon is white on transparent: nothing else.
	img, _ := png.Decode(bytes.NewReader(files["outline.png"]))
	opaque := 0
	for y := range OutlineIconSize {
		for x := range OutlineIconSize {
			r, g, b, a := img.At(x, y).RGBA()
			switch {
			case a == 0:
			case r == 0xffff && g == 0xffff && b == 0xffff && a == 0xffff:
				opaque++
			default:
				t.Fatalf("outline pixel %d,%d is %v", x, y, img.At(x, y))
			}
		}
	}
	if opaque == 0 || opaque > OutlineIconSize*OutlineIconSize/2 {
		t.Fatalf("%d white pixels", opaque)
	}
	// The same options give the same package.
	again, _ := Package(ManifestOptions{AppID: testAppID, URL: "https://safeload.example.org/"}, p)
	if !bytes.Equal(zb, again) {
		t.Fatal("the package is not reproducible")
	}

	for _, bad := range []ManifestOptions{{AppID: "not-a-guid", URL: "https://x.org"}, {AppID: testAppID, URL: "http://x.org"}, {AppID: testAppID}} {
		if _, err := Package(bad, p); err == nil {
			t.Fatalf("%+v accepted", bad)
		}
	}
}
