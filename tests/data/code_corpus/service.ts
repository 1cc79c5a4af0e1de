// A small service with the shapes TypeScript adds.
import { Logger } from "./logger";

export interface Point {
  x: number;
  y: number;
}

export type Id = string;

enum Color {
  Red,
  Green,
}

export namespace Geometry {
  export function distance(a: Point, b: Point): number {
    return Math.hypot(a.x - b.x, a.y - b.y);
  }

  export namespace Units {
    export class Meter {
      constructor(public value: number) {}

      toFeet(): number {
        return this.value * 3.28;
      }
    }
  }
}

function logged(target: unknown, key: string) {}

export default class Service {
  private log = new Logger();

  @logged
  find(id: Id): Point | undefined {
    return undefined;
  }

  handle = async (id: Id): Promise<void> => {
    this.log.info(id);
  };
}

abstract class Repository<T> {
  abstract load(id: Id): T;

  save(item: T): void {
    const check = (value: T) => value !== undefined;
    check(item);
  }
}

export const handlers = {
  onOpen(event: Event) {
    return event.type;
  },
  onClose: (event: Event) => event.type,
};
