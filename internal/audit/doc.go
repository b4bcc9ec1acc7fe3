// Package audit keeps Precis's audit trail: who read or downloaded which lab's report,
// which PGx alert was delivered to which webhook, and every token use, in an append-only
// JetStream stream (https://docs.nats.io/nats-concepts/jetstream/streams).
//
// # Stream
//
//	stream        subjects                  storage  limits
//	PRECIS_AUDIT  precis.audit.{lab}        file     none (no age, size or count limit)
//	              precis.audit._            (events that name no lab, e.g. auth.failed)
//
// The stream is created with DenyDelete and DenyPurge, so the server refuses to delete a
// message or purge the stream (JSStreamMsgDeleteFailed / JSStreamPurgeFailed), and with
// Discard set to DiscardNew, so if a size limit were ever set a full stream would refuse
// new events (Record fails visibly) rather than drop old ones.
//
// # What the server enforces, and what it does not
//
// nats-server refuses a stream update that turns DenyDelete or DenyPurge off ("stream
// configuration update can not cancel deny message deletes", server/stream.go
// configUpdateCheckLocked; TestUpdateCannotCancelDenies checks it), and roll-ups, which
// purge, need DenyPurge off. It does accept an update that adds a MaxAge, a message or
// byte limit with DiscardOld, a per-subject limit, or per-message TTLs: each of those
// lets the server drop old events. And DenyDelete does not protect the stream itself:
// anyone allowed $JS.API.STREAM.DELETE.PRECIS_AUDIT can delete the whole stream and
// create a weaker one under the same name. So Open checks the stream it finds and
// refuses, with ErrWeakened, to run against one whose configuration could lose events
// (Weaknesses lists what it checks); an operator must look at it before the service
// writes to it again. A deleted and recreated stream with a strong configuration cannot
// be told from a new one: deny the stream delete and update APIs to the service's NATS
// user in production.
//
// Event bodies are the JSON of Event. Query reads them back with an ordered consumer
// filtered by lab subject and start time; the other filters are applied as events are
// read.
package audit
