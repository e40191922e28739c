package slack

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	slackgo "github.com/slack-go/slack"

	"github.com/safeload/safeload/internal/delivery"
	"github.com/safeload/safeload/internal/domain"
)

// maxAltText is the longest alt text Slack keeps on a file; a longer one
// is cut at a word and says so, since the message itself carries every
// figure.
const maxAltText = 1000

// upload shares a message's picture in the channel or DM of dest through
// Slack's upload flow: files.getUploadURLExternal, the upload to the URL it
// gives, then files.completeUploadExternal, which alone makes the file
// visible. A failure before the last step leaves nothing in the channel,
// so retrying the whole flow never shows the picture twice.
func (s *Sender) upload(ctx context.Context, dest string, title string, img *domain.Image) error {
	id, ok := strings.CutPrefix(dest, "slack:")
	if !ok || id == "" {
		return delivery.Permanent(fmt.Errorf("%q is not a Slack channel or person", dest))
	}
	if len(img.Data) == 0 || img.Name == "" {
		return delivery.Permanent(fmt.Errorf("the picture for %s has no name or no bytes", dest))
	}
	channel := id
	if isPerson(id) {
		var err error
		if channel, err = s.dm(ctx, id); err != nil {
			return err
		}
	}
	if title == "" {
		title = img.Name
	}
	_, err := s.a.api.UploadFileContext(ctx, slackgo.UploadFileParameters{
		Reader: bytes.NewReader(img.Data), FileSize: len(img.Data), Filename: img.Name,
		Title: title, AltTxt: img.AltWithin(maxAltText), Channel: channel,
	})
	if err != nil {
		return classify(fmt.Errorf("file upload of %s to %s: %w", img.Name, dest, err))
	}
	return nil
}
