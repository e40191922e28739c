package main

import (
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
	"github.com/sirupsen/logrus"

	"github.com/safeload/safeload/internal/domain"
	"github.com/safeload/safeload/internal/policyfile"
)

// Config is the environment (see the README), checked. Secrets are kept here and
// never printed: String() hides them.
type Config struct {
	DB            string
	Addr          string
	Admins        []domain.PersonID
	TZ            *time.Location
	DigestCron    string
	AckWithin     time.Duration // 0: the policy's working days
	EscalateEvery time.Duration // 0: the policy's working days
	PolicyPath    string
	Policy        domain.Policy
	PromptsDir    string
	LogFormat     string
	LogLevel      logrus.Level
	AdminSocket   string
	// MetricsTeams labels /metrics' RAG counts by team (off: /metrics has
	// no authentication).
	MetricsTeams bool

	SlackBotToken      string
	SlackSigningSecret string
	SlackAppToken      string
	SlackAPIURL        string

	DiscordBotToken  string
	DiscordPublicKey []byte
	DiscordAppID     string
	DiscordAPIURL    string
	DiscordGateway   bool

	TeamsAppID       string
	TeamsAppPassword string
	TeamsTenantID    string
	TeamsOpenIDURL   string
	TeamsTokenURL    string
}

// configError names the setting at fault; it exits 2.
type configError struct{ setting, msg string }

func (e *configError) Error() string { return e.setting + ": " + e.msg }

// loadConfig reads and checks the environment. Every problem is a
// *configError naming its variable.
func (c *cli) loadConfig() (*Config, error) {
	env := func(k, def string) string {
		if v := strings.TrimSpace(c.getenv(k)); v != "" {
			return v
		}
		return def
	}
	cfg := &Config{
		DB:                 env("SAFELOAD_DB", "./safeload.db"),
		Addr:               env("SAFELOAD_ADDR", ":8080"),
		DigestCron:         env("SAFELOAD_DIGEST_CRON", "0 9 * * MON"),
		PolicyPath:         env("SAFELOAD_POLICY", ""),
		PromptsDir:         env("SAFELOAD_PROMPTS", ""),
		LogFormat:          env("SAFELOAD_LOG_FORMAT", "text"),
		AdminSocket:        env("SAFELOAD_ADMIN_SOCKET", ""),
		SlackBotToken:      env("SLACK_BOT_TOKEN", ""),
		SlackSigningSecret: env("SLACK_SIGNING_SECRET", ""),
		SlackAppToken:      env("SLACK_APP_TOKEN", ""),
		SlackAPIURL:        env("SLACK_API_URL", ""),
		DiscordBotToken:    env("DISCORD_BOT_TOKEN", ""),
		DiscordAppID:       env("DISCORD_APP_ID", ""),
		DiscordAPIURL:      env("DISCORD_API_URL", ""),
	}
	for _, a := range strings.Split(env("SAFELOAD_ADMINS", ""), ",") {
		a = strings.TrimSpace(a)
		if a == "" {
			continue
		}
		if domain.PersonID(a).Platform() == "" {
			return nil, &configError{"SAFELOAD_ADMINS", fmt.Sprintf("%q is not platform:id, e.g. slack:U024BE7LH or discord:42", a)}
		}
		cfg.Admins = append(cfg.Admins, domain.PersonID(a))
	}
	tz := env("SAFELOAD_TZ", "Europe/London")
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, &configError{"SAFELOAD_TZ", fmt.Sprintf("unknown time zone %q", tz)}
	}
	cfg.TZ = loc
	if _, err := cron.ParseStandard(cfg.DigestCron); err != nil {
		return nil, &configError{"SAFELOAD_DIGEST_CRON", fmt.Sprintf("cannot parse %q: %v", cfg.DigestCron, err)}
	}
	for _, d := range []struct {
		key string
		dst *time.Duration
	}{{"SAFELOAD_ACK_WITHIN", &cfg.AckWithin}, {"SAFELOAD_ESCALATE_EVERY", &cfg.EscalateEvery}} {
		if v := env(d.key, ""); v != "" {
			dur, err := time.ParseDuration(v)
			if err != nil || dur <= 0 {
				return nil, &configError{d.key, fmt.Sprintf("%q is not a positive Go duration like 90s or 48h", v)}
			}
			*d.dst = dur
		}
	}
	cfg.Policy = domain.DefaultPolicy()
	if cfg.PolicyPath != "" {
		p, err := policyfile.Load(cfg.PolicyPath)
		if err != nil {
			return nil, &configError{"SAFELOAD_POLICY", err.Error()}
		}
		cfg.Policy = p
	}
	switch cfg.LogFormat {
	case "text", "json":
	default:
		return nil, &configError{"SAFELOAD_LOG_FORMAT", fmt.Sprintf("%q is not text or json", cfg.LogFormat)}
	}
	lvl, err := logrus.ParseLevel(env("SAFELOAD_LOG_LEVEL", "info"))
	if err != nil {
		return nil, &configError{"SAFELOAD_LOG_LEVEL", err.Error()}
	}
	cfg.LogLevel = lvl
	if cfg.SlackBotToken != "" && cfg.SlackSigningSecret == "" && cfg.SlackAppToken == "" {
		return nil, &configError{"SLACK_SIGNING_SECRET", "SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is"}
	}
	if cfg.SlackBotToken == "" && (cfg.SlackSigningSecret != "" || cfg.SlackAppToken != "") {
		return nil, &configError{"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET or SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not"}
	}
	if cfg.SlackAppToken != "" && !strings.HasPrefix(cfg.SlackAppToken, "xapp-") {
		return nil, &configError{"SLACK_APP_TOKEN", "an app-level token starts with xapp-"}
	}
	if v := env("DISCORD_PUBLIC_KEY", ""); v != "" {
		key, err := hex.DecodeString(v)
		if err != nil || len(key) != 32 {
			return nil, &configError{"DISCORD_PUBLIC_KEY", "must be the application's Ed25519 public key in hex (64 hex digits)"}
		}
		cfg.DiscordPublicKey = key
	}
	for _, b := range []struct {
		key string
		dst *bool
	}{{"SAFELOAD_METRICS_TEAMS", &cfg.MetricsTeams}, {"DISCORD_GATEWAY", &cfg.DiscordGateway}} {
		switch v := strings.ToLower(env(b.key, "")); v {
		case "", "0", "false", "no":
		case "1", "true", "yes":
			*b.dst = true
		default:
			return nil, &configError{b.key, fmt.Sprintf("%q is not true or false", v)}
		}
	}
	if cfg.DiscordBotToken != "" && cfg.DiscordPublicKey == nil && !cfg.DiscordGateway {
		return nil, &configError{"DISCORD_PUBLIC_KEY", "DISCORD_BOT_TOKEN is set but neither DISCORD_PUBLIC_KEY (HTTP interactions) nor DISCORD_GATEWAY=true is"}
	}
	if err := loadTeamsConfig(cfg, env); err != nil {
		return nil, err
	}
	return cfg, nil
}

// config loads the configuration or prints the setting at fault; ok is false
// with the exit code to return.
func (c *cli) config() (*Config, int, bool) {
	cfg, err := c.loadConfig()
	if err != nil {
		return nil, c.fail(exitUsage, "bad configuration: %v", err), false
	}
	return cfg, exitOK, true
}

// newLogger builds the one logger of the process.
func (c *cli) newLogger(cfg *Config) *logrus.Logger {
	log := logrus.New()
	log.SetOutput(c.stderr)
	log.SetLevel(cfg.LogLevel)
	if cfg.LogFormat == "json" {
		log.SetFormatter(&logrus.JSONFormatter{})
	}
	return log
}
