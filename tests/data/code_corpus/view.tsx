import React from "react";

type Props = { title: string };

export default function (props: Props) {
  return <h1>{props.title}</h1>;
}

export const Badge = ({ title }: Props) => {
  const upper = () => title.toUpperCase();
  return <span>{upper()}</span>;
};

export class Panel extends React.Component<Props> {
  render() {
    return <div>{this.props.title}</div>;
  }
}
