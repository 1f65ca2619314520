// `npm start`: runs the local cluster. Until the server agent lands this says so and exits.
process.stdout.write(
  "drover: the local cluster (3 servers + client) is not built yet; `npx drover --help` shows what exists.\n",
);
