package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/spf13/cobra"
	"github.com/spf13/viper"

	"github.com/gopolicy/gopolicy/pkg/gopolicy"
	"github.com/gopolicy/gopolicy/pkg/oci"
	"github.com/gopolicy/gopolicy/pkg/serve"
)

func init() { registerCommand((*app).serveCommand) }

func (a *app) serveCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "serve --tls-cert FILE --tls-key FILE",
		Short: "Serve admission: a Kubernetes validating webhook and a Gatekeeper external-data provider",
		Long: `serve answers admission requests over HTTPS (TLS 1.3 or later):

  POST /validate       AdmissionReview admission.k8s.io/v1 for Pods and pod
                       templates (Deployment, StatefulSet, DaemonSet, Job,
                       CronJob, ReplicaSet, ReplicationController)
  POST /externaldata   Gatekeeper externaldata.gatekeeper.sh/v1beta1
                       ProviderRequest; keys are image references
  GET  /healthz, /readyz, /metrics (Prometheus)

Each image is resolved to its digest; its gopolicy facts attestation is
found in the registry (an OCI 1.1 referrer or cosign's sha256-<hex>.att
tag), verified offline against --evidence-key / --trusted-root, and its
facts judged under --profile. The Pod's GODEBUG, GOMAXPROCS, GOMEMLIMIT
and limits are judged by the admission policies. A request that cannot be
decided within --deadline follows the profile's failure mode
(deny-on-error in prod, allow-with-warning otherwise), and says so.

SIGHUP, or a change to the configuration, a policy bundle, a waiver file
or the trust files, reloads the pipeline without dropping requests.
See docs/admission.md.`,
		Example: `  gopolicy serve --tls-cert tls.crt --tls-key tls.key --evidence-key signer.pub.pem --profile prod`,
		Args:    cobra.NoArgs,
		RunE:    a.runServe,
	}
	f := cmd.Flags()
	f.String("addr", "127.0.0.1:8443", "`ADDRESS` to listen on (in a Pod: :8443)")
	f.String("tls-cert", "", "server certificate `FILE` (PEM); re-read when it changes")
	f.String("tls-key", "", "server key `FILE` (PEM)")
	f.String("client-ca", "", "CA `FILE` (PEM) client certificates must chain to (mTLS); without it any client may call")
	f.Duration("deadline", serve.DefaultDeadline, "internal `DURATION` of one request, below the caller's timeout (Gatekeeper waits 3s)")
	f.String("failure-mode", "", "what a request that cannot be decided gets: deny-on-error or allow-with-warning (default: deny-on-error for prod, allow-with-warning otherwise)")
	f.Duration("decision-ttl", serve.DefaultDecisionTTL, "how long an image's verdict is cached (by digest, bundle, trust and profile)")
	f.Duration("error-ttl", serve.DefaultErrorTTL, "how long a registry error or a missing attestation is cached")
	f.Int("cache-size", serve.DefaultCacheSize, "most cached image verdicts (0: no cache)")
	f.Int64("max-body", serve.DefaultMaxBodyBytes, "largest request body in `BYTES`")
	f.Bool("insecure-registry", false, "allow plain HTTP to every registry (localhost and private addresses always may)")
	f.StringArray("pull-secret", nil, "registry credentials `FILE`: a kubernetes.io/dockerconfigjson Secret's .dockerconfigjson, read when a registry asks (repeatable; before the docker config and credential helpers)")
	f.Duration("watch-interval", 2*time.Second, "how often watched files are checked for changes")
	f.String("profile", gopolicy.DefaultProfile, "enforcement `PROFILE`: dev, ci, prod, or one a policy bundle defines")
	f.String("fail-on", "deny", "lowest `LEVEL` that denies: deny or warn")
	f.StringArray("waivers", nil, "waiver `FILE` (repeatable); added to the waivers in gopolicy.yaml")
	f.String("now", "", "judge waiver expiry as of this `DATE` (default: the clock at each judgement)")
	addPolicyFlags(cmd)
	addEvidenceFlags(cmd)
	return cmd
}

func (a *app) runServe(cmd *cobra.Command, _ []string) error {
	v := a.v
	tlsCfg, err := serve.TLSConfig(v.GetString("tls-cert"), v.GetString("tls-key"), v.GetString("client-ca"))
	if err != nil {
		return err
	}
	log := slog.New(slog.NewJSONHandler(a.stderr, nil))
	loads := 0
	var watch []string
	build := func(ctx context.Context) (*gopolicy.Pipeline, gopolicy.Config, error) {
		if loads > 0 {
			// Re-read gopolicy.yaml and the environment: a reload takes
			// the configuration as it is now. Flags keep their values.
			a.v = viper.New()
			if err := a.loadConfig(cmd); err != nil {
				return nil, gopolicy.Config{}, err
			}
		}
		loads++
		cfg, err := a.config(cmd)
		if err != nil {
			return nil, cfg, err
		}
		p, err := gopolicy.New(ctx, cfg)
		if err != nil {
			return nil, cfg, err
		}
		return p, cfg, nil
	}
	cfg, err := a.config(cmd)
	if err != nil {
		return err
	}
	if a.file != nil {
		watch = append(watch, a.file.Path)
	}
	watch = append(watch, cfg.Bundles...)
	watch = append(watch, cfg.WaiverFiles...)
	watch = append(watch, cfg.Evidence.Keys...)
	watch = append(watch, cfg.Evidence.LogKeys...)
	for _, f := range []string{cfg.Evidence.TrustedRoot, cfg.BundleKey} {
		if f != "" {
			watch = append(watch, f)
		}
	}
	s := serve.New(serve.Options{
		Build: build,
		Registry: &oci.Registry{
			Insecure: v.GetBool("insecure-registry"),
			Keychain: authn.NewMultiKeychain(oci.PullSecrets(v.GetStringSlice("pull-secret")), authn.DefaultKeychain),
		},
		Deadline:      v.GetDuration("deadline"),
		FailureMode:   v.GetString("failure-mode"),
		DecisionTTL:   v.GetDuration("decision-ttl"),
		ErrorTTL:      v.GetDuration("error-ttl"),
		CacheSize:     v.GetInt("cache-size"),
		MaxBodyBytes:  v.GetInt64("max-body"),
		Watch:         watch,
		WatchInterval: v.GetDuration("watch-interval"),
		Logger:        log,
	})
	ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ln, err := net.Listen("tcp", v.GetString("addr"))
	if err != nil {
		return err
	}
	defer ln.Close()
	// Listen first (liveness answers), build the pipeline, then be ready.
	served := make(chan error, 1)
	go func() { served <- serve.Serve(ctx, ln, s.Handler(), tlsCfg, 20*time.Second) }()
	if err := s.Reload(ctx); err != nil {
		stop()
		<-served
		return err
	}
	fmt.Fprintf(a.stderr, "serving https://%s (profile %s)\n", ln.Addr(), v.GetString("profile"))
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	go s.Watch(ctx)
	for {
		select {
		case <-hup:
			_ = s.Reload(ctx)
		case err := <-served:
			if err != nil && !errors.Is(err, context.Canceled) {
				return err
			}
			return nil
		}
	}
}
