/** The inspection API's parts that live in this folder. */
export {
  createEventsStream,
  type EventsStream,
  type EventsStreamOptions,
} from "./events_stream.ts";
