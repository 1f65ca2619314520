// Public surface of src/fsm. Other modules import from here.
export * from "./state-reader.js";
export * from "./structs.js";
