package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// kvGetLeader reads the latest value of key in the state bucket from the leader of its
// stream, with the JetStream API $JS.API.STREAM.MSG.GET.KV_{bucket} (nats-server
// jetstream_api.go, JSApiMsgGetRequest{last_by_subj}), where the key-value package reads
// with a direct get ($JS.API.DIRECT.GET) that any replica answers. A replica may trail the
// leader, and one cut off from the others answers with what it had: run state read so could
// be older than a write already acknowledged, and a node without quorum would go on
// answering. From the leader the read follows every acknowledged write, and fails
// (Transient) while there is no leader. It returns jetstream.ErrKeyNotFound for a key never
// written, deleted or purged.
func (q *Queue) kvGetLeader(ctx context.Context, key string) (value []byte, revision uint64, err error) {
	req, err := json.Marshal(struct {
		LastFor string `json:"last_by_subj"`
	}{"$KV." + StateBucket + "." + key})
	if err != nil {
		return nil, 0, err
	}
	m, err := q.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+StateBucket, req)
	if err != nil {
		if errors.Is(err, nats.ErrNoResponders) {
			return nil, 0, fmt.Errorf("%w: no leader for KV_%s", jetstream.ErrNoStreamResponse, StateBucket)
		}
		return nil, 0, err
	}
	var resp struct {
		Error   *jetstream.APIError `json:"error"`
		Message *struct {
			Seq    uint64 `json:"seq"`
			Header []byte `json:"hdrs"` // base64 in JSON, decoded by encoding/json
			Data   []byte `json:"data"`
		} `json:"message"`
	}
	if err := json.Unmarshal(m.Data, &resp); err != nil {
		return nil, 0, fmt.Errorf("queue: reply of %s: %w", m.Subject, err)
	}
	if resp.Error != nil {
		if resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound {
			return nil, 0, jetstream.ErrKeyNotFound
		}
		return nil, 0, resp.Error
	}
	if resp.Message == nil {
		return nil, 0, fmt.Errorf("queue: reply of %s holds no message", m.Subject)
	}
	if op := kvOperation(resp.Message.Header); op == "DEL" || op == "PURGE" {
		return nil, 0, jetstream.ErrKeyNotFound
	}
	return resp.Message.Data, resp.Message.Seq, nil
}

// kvOperation returns the KV-Operation header of a stored message's headers (NATS/1.0
// header block), "" when there is none (a put).
func kvOperation(hdr []byte) string {
	for _, line := range strings.Split(string(hdr), "\r\n") {
		name, value, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(name), "KV-Operation") {
			return strings.TrimSpace(value)
		}
	}
	return ""
}
