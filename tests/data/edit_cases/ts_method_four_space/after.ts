export interface User {
  id: number;
  name: string;
}

export function greet(user: User): string {
  return "Hello " + user.name;
}

export class Users {
  private items: User[] = [];

  add(user: User): void {
    if (this.items.some((u) => u.id === user.id)) {
      throw new Error(`duplicate user ${user.id}`);
    }
    this.items.push(user);
  }
}
