package discord

import (
	"context"

	"github.com/bwmarrin/discordgo"
)

// Register bulk-overwrites the application's slash commands with cmds:
// in one guild when guildID is set (visible at once; for trying out), else
// globally. Commands no longer in cmds are removed, so running it twice
// changes nothing the second time. A 429 is waited out.
func Register(ctx context.Context, s *discordgo.Session, appID, guildID string, cmds []*discordgo.ApplicationCommand) ([]*discordgo.ApplicationCommand, error) {
	if err := Validate(cmds); err != nil {
		return nil, err
	}
	var created []*discordgo.ApplicationCommand
	err := retry(ctx, func() error {
		var err error
		created, err = s.ApplicationCommandBulkOverwrite(appID, guildID, cmds, discordgo.WithContext(ctx))
		return err
	})
	return created, err
}
