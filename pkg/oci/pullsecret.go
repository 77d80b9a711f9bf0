package oci

import (
	"bytes"
	"fmt"

	"github.com/docker/cli/cli/config"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"

	"github.com/gopolicy/gopolicy/internal/safeio"
)

// maxPullSecret bounds a pull secret file.
const maxPullSecret = 1 << 20

// PullSecrets is a keychain over image pull secrets: files in the format
// of a kubernetes.io/dockerconfigjson Secret's .dockerconfigjson (the
// "auths" of a docker config.json), as a Secret mounted into gopolicy's
// Pod provides them. Each file is read when a registry asks, so a rotated
// Secret is used without a restart. Only the literal credentials are
// used: a credential helper or store a file names is never run, since
// whoever wrote the file would choose the program.
type PullSecrets []string

// Resolve finds the credentials for a registry in the first file that has
// them, or anonymous access.
func (p PullSecrets) Resolve(target authn.Resource) (authn.Authenticator, error) {
	key := target.RegistryStr()
	if key == name.DefaultRegistry {
		key = authn.DefaultAuthKey
	}
	for _, file := range p {
		data, err := safeio.ReadFile(file, maxPullSecret)
		if err != nil {
			return nil, fmt.Errorf("pull secret: %w", err)
		}
		cf, err := config.LoadFromReader(bytes.NewReader(data))
		if err != nil {
			return nil, fmt.Errorf("pull secret %s: %w", file, err)
		}
		for _, k := range []string{key, "https://" + key, "http://" + key} {
			if ac, ok := cf.AuthConfigs[k]; ok {
				return authn.FromConfig(authn.AuthConfig{
					Username: ac.Username, Password: ac.Password, Auth: ac.Auth,
					IdentityToken: ac.IdentityToken, RegistryToken: ac.RegistryToken,
				}), nil
			}
		}
	}
	return authn.Anonymous, nil
}
