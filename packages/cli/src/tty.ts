// Terminal prompts for main.ts: a question on stderr, the answer read from stdin, without echo for a
// passphrase. Only used when stdin is a TTY; scripts give the passphrase by file or environment.

export type Prompt = (question: string, opts: { echo: boolean }) => Promise<string>;

export function ttyPrompt(input: NodeJS.ReadStream, output: NodeJS.WriteStream): Prompt {
  return (question, { echo }) =>
    new Promise<string>((resolve, reject) => {
      output.write(question);
      let answer = "";
      const wasRaw = input.isRaw;
      input.setRawMode(true);
      input.setEncoding("utf8");
      input.resume();
      const finish = (error?: Error) => {
        input.off("data", onData);
        input.setRawMode(wasRaw);
        input.pause();
        output.write("\n");
        if (error) reject(error);
        else resolve(answer);
      };
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n") return finish();
          if (ch === "\u0003") return finish(new Error("interrupted"));
          if (ch === "\u0004") return finish(answer === "" ? new Error("no answer") : undefined);
          if (ch === "\u007f" || ch === "\b") {
            if (answer.length > 0) {
              answer = [...answer].slice(0, -1).join("");
              if (echo) output.write("\b \b");
            }
            continue;
          }
          if (ch < " ") continue;
          answer += ch;
          if (echo) output.write(ch);
        }
      };
      input.on("data", onData);
    });
}
