package discord

import (
	"bytes"
	"context"
	"net/http"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/safeload/safeload/internal/domain"
)

// maxAttachmentDescription is Discord's limit on an attachment's
// description, which is its alt text.
const maxAttachmentDescription = 1024

// attachment is a file's entry in a message's payload: its description is
// the alt text screen readers read.
type attachment struct {
	ID          int    `json:"id"`
	Filename    string `json:"filename"`
	Description string `json:"description,omitempty"`
}

// postPart posts the i-th part of a message; the first carries the
// message's picture, if it has one.
func (a *Adapter) postPart(ctx context.Context, channel string, o Outgoing, i int, img *domain.Image) error {
	if i != 0 || img == nil {
		return a.post(ctx, channel, o)
	}
	return a.postWithImage(ctx, channel, o, img)
}

// postWithImage posts a message with its picture as an attachment of the
// same message: one request, so a retry never shows the picture twice. The
// first embed shows it (attachment://name).
func (a *Adapter) postWithImage(ctx context.Context, channel string, o Outgoing, img *domain.Image) error {
	name := attachmentName(img.Name)
	embeds := make([]*discordgo.MessageEmbed, len(o.Embeds))
	for k, e := range o.Embeds {
		c := *e
		if k == 0 {
			c.Image = &discordgo.MessageEmbedImage{URL: "attachment://" + name}
		}
		if c.Type == "" {
			c.Type = discordgo.EmbedTypeRich
		}
		embeds[k] = &c
	}
	data := struct {
		*discordgo.MessageSend
		Attachments []attachment `json:"attachments"`
	}{
		MessageSend: &discordgo.MessageSend{Content: o.Content, Embeds: embeds, Components: o.Components, AllowedMentions: allowUsers()},
		Attachments: []attachment{{ID: 0, Filename: name, Description: img.AltWithin(maxAttachmentDescription)}},
	}
	contentType, body, err := discordgo.MultipartBodyWithJSON(data, []*discordgo.File{{Name: name, ContentType: img.Type, Reader: bytes.NewReader(img.Data)}})
	if err != nil {
		return err
	}
	endpoint := discordgo.EndpointChannelMessages(channel)
	_, err = a.outbox.RequestRaw(http.MethodPost, endpoint, contentType, body, endpoint, 0, discordgo.WithContext(ctx))
	return err
}

// attachmentName keeps a file name to what attachment:// references
// accept: letters, digits, '-', '_' and '.'.
func attachmentName(name string) string {
	clean := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			return r
		}
		return '_'
	}, name)
	if clean == "" {
		return "chart.png"
	}
	return clean
}
