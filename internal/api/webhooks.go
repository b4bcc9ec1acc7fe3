package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/precis-dx/precis/internal/webhook"
)

// Webhooks is the subscription store of alert delivery; webhook.Store satisfies it.
type Webhooks interface {
	Create(ctx context.Context, lab, url, createdBy string) (webhook.Subscription, error)
	List(ctx context.Context, labs []string, all bool) ([]webhook.Subscription, error)
	Get(ctx context.Context, id string) (webhook.Subscription, error)
	Delete(ctx context.Context, id string) error
	Deliveries(ctx context.Context, subID string, limit int) ([]webhook.Delivery, error)
}

// createWebhook answers POST /api/v1/webhooks {"lab","url"}: any token that reads the lab
// may subscribe an endpoint to its alerts (a lab its own system, a clinic's clinicians their
// ward system). The answer holds the signing secret; it is never shown again.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Lab string `json:"lab"`
		URL string `json:"url"`
	}
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.fail(w, r, http.StatusBadRequest, CodeBadRequest, "want a JSON object {\"lab\", \"url\"}: "+err.Error())
		return
	}
	if !idName.MatchString(req.Lab) {
		s.fail(w, r, http.StatusBadRequest, CodeInvalidName, fmt.Sprintf("lab %q: %s", req.Lab, idRule))
		return
	}
	if !s.canRead(w, r, req.Lab, noLab(req.Lab)) {
		return
	}
	sub, err := s.webhooks.Create(r.Context(), req.Lab, req.URL, principal(r).TokenID)
	if err != nil { // invalid 400, exists 409
		s.failDependency(w, r, "store the webhook", err)
		return
	}
	w.Header().Set("Location", "/api/v1/webhooks/"+sub.ID)
	writeJSON(w, http.StatusCreated, sub)
}

// listWebhooks answers GET /api/v1/webhooks: the subscriptions of the labs the token reads,
// without their secrets.
func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	labs, all := principal(r).ReadableLabs()
	subs, err := s.webhooks.List(r.Context(), labs, all)
	if err != nil {
		s.failDependency(w, r, "list webhooks", err)
		return
	}
	for i := range subs {
		subs[i].Secret = ""
	}
	writeList(w, "webhooks", subs)
}

// readableWebhook returns the subscription named in the path, answering 404 (and false)
// when it does not exist or belongs to a lab the token does not read.
func (s *Server) readableWebhook(w http.ResponseWriter, r *http.Request) (webhook.Subscription, bool) {
	id := r.PathValue("id")
	what := "no webhook " + id
	sub, err := s.webhooks.Get(r.Context(), id)
	switch {
	case errors.Is(err, webhook.ErrNotFound), errors.Is(err, webhook.ErrInvalid):
		s.fail(w, r, http.StatusNotFound, CodeNotFound, what)
		return sub, false
	case err != nil:
		s.failDependency(w, r, "read webhook", err)
		return sub, false
	}
	if !s.canRead(w, r, sub.Lab, what) {
		return sub, false
	}
	sub.Secret = ""
	return sub, true
}

func (s *Server) getWebhook(w http.ResponseWriter, r *http.Request) {
	if sub, ok := s.readableWebhook(w, r); ok {
		writeJSON(w, http.StatusOK, sub)
	}
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.readableWebhook(w, r)
	if !ok {
		return
	}
	if err := s.webhooks.Delete(r.Context(), sub.ID); err != nil && !errors.Is(err, webhook.ErrNotFound) {
		s.failDependency(w, r, "delete webhook", err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// webhookDeliveries answers GET /api/v1/webhooks/{id}/deliveries[?limit=N]: the delivery
// log, newest first.
func (s *Server) webhookDeliveries(w http.ResponseWriter, r *http.Request) {
	sub, ok := s.readableWebhook(w, r)
	if !ok {
		return
	}
	limit, ok := s.queryLimit(w, r, 100, maxAlerts)
	if !ok {
		return
	}
	ds, err := s.webhooks.Deliveries(r.Context(), sub.ID, limit)
	if err != nil {
		s.failDependency(w, r, "read deliveries", err)
		return
	}
	writeList(w, "deliveries", ds)
}
